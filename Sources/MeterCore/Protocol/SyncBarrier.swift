/// The sync barrier of the stream protocol (docs/line-protocol.md, "Sync barrier").
///
/// Request: `#sync <token>` (token: 1...64 bytes of `[A-Za-z0-9_.:-]`). A metric line cannot
/// start with `#`, so a barrier is never taken for an event. Any line starting with `#sync`
/// is a barrier request; when it is malformed meterd answers `#error <reason>`.
///
/// Answer, one line once everything the connection sent before the barrier is durable:
/// `#synced <token> accepted=<n> duplicate=<n> refused=<n> durable=<yes|no>` followed, on the
/// same line, by ` <reason>=<n>` for each refusal reason seen (at most 30 distinct reasons).
public enum SyncBarrier {
    public static let maxTokenBytes = 64
    /// Outstanding (unanswered) barriers per connection; beyond it the connection stops reading.
    ///
    /// It bounds one connection's acknowledged rate at `maxOutstanding x spacing / latency`
    /// (Little's law): with a barrier every 1,000 lines and the latency of a busy daemon (about
    /// 100 to 300 ms, the ring and the group commits ahead of the barrier), 64 held a single
    /// connection to about half the plain rate. 256 lets it reach the plain rate; the ring (its
    /// bytes, not this count) still bounds what is queued, and each unanswered barrier costs a
    /// few hundred bytes (its token, counts and completion), so about 100 KiB per connection
    /// at most. docs/benchmarks.md "Sync barrier".
    public static let maxOutstanding = 256

    public enum Request: Equatable, Sendable {
        case sync(token: String)
        /// A `#sync` line that is not a valid barrier; the reason label goes into `#error`.
        case malformed(reason: String)
    }

    static let prefix = Array("#sync".utf8)

    /// nil when `line` is not a barrier request (the caller parses it as a metric line).
    public static func parse(_ line: UnsafeRawBufferPointer) -> Request? {
        guard line.count >= prefix.count, line.first == UInt8(ascii: "#") else { return nil }
        for index in prefix.indices where line[index] != prefix[index] { return nil }
        var end = line.count
        if end > prefix.count, line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if end == prefix.count { return .malformed(reason: "missing_token") }
        guard line[prefix.count] == UInt8(ascii: " ") else { return .malformed(reason: "unknown_command") }
        let token = UnsafeRawBufferPointer(rebasing: line[(prefix.count + 1) ..< end])
        if token.isEmpty { return .malformed(reason: "missing_token") }
        if token.count > maxTokenBytes { return .malformed(reason: "token_too_long") }
        for byte in token where !isTokenByte(byte) { return .malformed(reason: "bad_token") }
        return .sync(token: String(decoding: token, as: UTF8.self))
    }

    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
             UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// What a connection answers for one barrier.
    public struct Answer: Equatable, Sendable {
        public var token: String
        public var accepted: Int
        public var duplicate: Int
        public var refused: Int
        public var durable: Bool
        /// Refused lines by reason (parser and aggregator), only reasons with a count.
        public var reasons: [(reason: RefusalReason, count: Int)]

        public init(token: String, accepted: Int, duplicate: Int, refused: Int, durable: Bool,
                    reasons: [(reason: RefusalReason, count: Int)]) {
            self.token = token
            self.accepted = accepted
            self.duplicate = duplicate
            self.refused = refused
            self.durable = durable
            self.reasons = reasons
        }

        public static func == (a: Answer, b: Answer) -> Bool {
            a.line == b.line
        }

        /// The answer line, without the terminator.
        public var line: String {
            var text = "#synced \(token) accepted=\(accepted) duplicate=\(duplicate) refused=\(refused) durable=\(durable ? "yes" : "no")"
            for (reason, count) in reasons { text += " \(reason.label)=\(count)" }
            return text
        }
    }

    /// The answer to one barrier: `parsed` are the connection's parser counts since its
    /// previous barrier, `tally` what the shards did not count of its queued events.
    public static func answer(token: String, parsed: IngestCounts, tally: BarrierTally, durable: Bool) -> Answer {
        var reasons: [(reason: RefusalReason, count: Int)] = []
        var refused = 0
        for reason in RefusalReason.allCases {
            var count = parsed.refusals[reason] + tally.refusals[reason]
            if reason == .lineTooLong { count += parsed.droppedOversized }
            if count > 0 {
                reasons.append((reason, count))
                refused += count
            }
        }
        let accepted = parsed.enqueued - parsed.droppedOversized - tally.duplicates - tally.refusals.total
        return Answer(token: token, accepted: max(0, accepted), duplicate: tally.duplicates, refused: refused,
                      durable: durable, reasons: reasons)
    }
}

extension IngestCounts {
    /// The counts since `earlier` (a snapshot of the same worker).
    public func since(_ earlier: IngestCounts) -> IngestCounts {
        var delta = IngestCounts()
        delta.lines = lines - earlier.lines
        delta.enqueued = enqueued - earlier.enqueued
        delta.droppedRingFull = droppedRingFull - earlier.droppedRingFull
        delta.droppedOversized = droppedOversized - earlier.droppedOversized
        for reason in RefusalReason.allCases where refusals[reason] != earlier.refusals[reason] {
            delta.refusals[reason] = refusals[reason] - earlier.refusals[reason]
        }
        return delta
    }
}
