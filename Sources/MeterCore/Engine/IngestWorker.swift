#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a producer does when a ring shard has no room for its batch.
public enum RingFullPolicy: Sendable, Hashable {
    /// Count the records that did not fit as dropped (UDP: the sender cannot be slowed down).
    case drop
    /// Wait until the shard's consumer makes room (TCP and Unix streams: the sender waits
    /// because this thread stops reading its socket meanwhile).
    case wait
    /// Keep what did not fit and say so: `publish()` returns false and `offer(line:now:)`
    /// refuses lines for a full batch, so an event-loop caller can stop reading its socket
    /// and retry later instead of blocking its thread (TCP and Unix streams under SwiftNIO).
    case report
}

/// One receiving thread's half of the engine: parses lines, encodes accepted events into a
/// batch per ring shard, and pushes each batch when it fills or on `publish`.
///
/// One owner (a receiving thread); not thread-safe. Steady state allocates nothing per line.
public final class IngestWorker {
    public let parser: LineParser
    public let ring: ShardedRing
    public let policy: RingFullPolicy
    // One owner (see above): skip the runtime exclusivity checks on these hot class properties.
    @exclusivity(unchecked) public private(set) var counts = IngestCounts()

    let hasher: ByteHasher
    @exclusivity(unchecked) var parsed: ParsedLine
    let batches: [RecordBatch]
    /// Under `.report`: bytes at the front of each shard's batch already in the ring; the next
    /// push resumes there (a record boundary, as `RingPushOutcome.nextByteOffset` promises).
    @exclusivity(unchecked) var pushedBytes: [Int]
    /// The source id written into every record (a stream connection's, for its sync
    /// barriers; 0: none).
    public var source: UInt32 = 0
    /// Shards a marker still being offered has reached (`offerMarker`).
    @exclusivity(unchecked) var markerShards = 0

    /// - Parameters:
    ///   - hasher: the daemon's hasher; aggregators compare the series hashes it produces.
    ///   - batchBytes: per shard (`ingest.batch_bytes`); must hold the largest possible record.
    public init(parser: LineParser, ring: ShardedRing, hasher: ByteHasher, policy: RingFullPolicy, batchBytes: Int = 64 * 1024) {
        precondition(batchBytes >= IngestWorker.largestRecordBytes(parser.limits), "ingest.batch_bytes is smaller than one record")
        self.parser = parser
        self.ring = ring
        self.policy = policy
        self.hasher = hasher
        parsed = parser.makeParsedLine()
        batches = (0..<ring.shardCount).map { _ in RecordBatch(capacity: batchBytes) }
        pushedBytes = Array(repeating: 0, count: ring.shardCount)
    }

    /// The largest framed record a line within `limits` can produce.
    public static func largestRecordBytes(_ limits: ProtocolLimits) -> Int {
        // The record holds at most the line's bytes, plus the header, the length prefix and two
        // length bytes per dimension.
        RecordBatch.prefixBytes + EventRecord.headerBytes + limits.maxLineBytes + 2 * limits.maxDimensions
    }

    /// Parses every line of `buffer` (a datagram, or complete lines from a stream).
    @inlinable
    public func ingest(lines buffer: UnsafeRawBufferPointer, now: Int64) {
        LineSplitter.forEachLine(in: buffer) { line in
            _ = ingest(line: line, now: now)
        }
    }

    /// Parses one line (no terminator); returns why it was refused, or nil when it was queued.
    ///
    /// - Precondition: the policy is not `.report` (use `offer(line:now:)`, which can decline).
    @discardableResult
    public func ingest(line: UnsafeRawBufferPointer, now: Int64) -> RefusalReason? {
        precondition(policy != .report, "a .report worker takes lines through offer(line:now:)")
        switch enqueue(line: line, now: now) {
        case .queued: return nil
        case .refused(let reason): return reason
        case .blocked: preconditionFailure("only a .report worker declines lines")
        }
    }

    /// Under `.report`: parses and queues one line unless the batch of the line's shard is full
    /// and the ring cannot take it. Returns false when the line was declined: nothing was
    /// counted, and the caller offers the same line again after a successful `publish()`.
    public func offer(line: UnsafeRawBufferPointer, now: Int64) -> Bool {
        if case .blocked = enqueue(line: line, now: now) { return false }
        return true
    }

    /// Counts a line refused before it reached the parser (a stream line longer than
    /// `protocol.max_line_bytes`, which the framer reports without delivering).
    public func countRefusal(_ reason: RefusalReason) {
        counts.lines += 1
        counts.refusals[reason] += 1
    }

    /// True while some batch holds records not yet in the ring.
    public var hasUnpublishedRecords: Bool {
        batches.contains { !$0.isEmpty }
    }

    enum LineResult { case queued, refused(RefusalReason), blocked }

    func enqueue(line: UnsafeRawBufferPointer, now: Int64) -> LineResult {
        if let reason = parser.parse(line, now: now, into: &parsed) {
            counts.lines += 1
            counts.refusals[reason] += 1
            return .refused(reason)
        }
        let shard = ring.shardIndex(forHash: EventRecord.shardHash(of: parsed, in: line, hasher: hasher))
        let bodyBytes = EventRecord.bodyBytes(of: parsed)
        if !append(line, bodyBytes: bodyBytes, now: now, to: batches[shard]) {
            // Under `.report` a failed publish keeps the batch, so the retry below fails too.
            _ = publish(shard: shard)
            if !append(line, bodyBytes: bodyBytes, now: now, to: batches[shard]) {
                precondition(policy == .report, "a record larger than an empty batch")
                return .blocked
            }
        }
        counts.lines += 1
        counts.enqueued += 1
        return .queued
    }

    @inline(__always)
    private func append(_ line: UnsafeRawBufferPointer, bodyBytes: Int, now: Int64, to batch: RecordBatch) -> Bool {
        batch.append(bodyBytes: bodyBytes) { body in
            EventRecord.encode(parsed, from: line, receivedAt: now, hasher: hasher, sourceID: source, into: body)
        }
    }

    /// Queues a barrier marker of `source` into the batch of every shard, behind the records
    /// already queued there. Under `.report` returns false when some shard's batch is full and
    /// the ring cannot take it: the caller offers the same marker again after a successful
    /// `publish()` (the shards it reached keep theirs). Other policies always return true.
    public func offerMarker(barrier: UInt64) -> Bool {
        while markerShards < batches.count {
            let batch = batches[markerShards]
            let write: (UnsafeMutableRawBufferPointer) -> Void = { body in
                EventRecord.encodeMarker(source: self.source, barrier: barrier, into: body)
            }
            if !batch.append(bodyBytes: EventRecord.headerBytes, write) {
                _ = publish(shard: markerShards)
                if !batch.append(bodyBytes: EventRecord.headerBytes, write) {
                    precondition(policy == .report, "a marker larger than an empty batch")
                    return false
                }
            }
            markerShards += 1
        }
        markerShards = 0
        return true
    }

    /// Pushes every pending batch into the ring. Call at the end of each read (datagram batch,
    /// stream chunk) so events do not wait in a half-full batch.
    ///
    /// Returns true when every batch is now in the ring. Only `.report` returns false: the
    /// records that did not fit stay in their batch, and the next `publish()` resumes from the
    /// first of them.
    @discardableResult
    public func publish() -> Bool {
        var complete = true
        for shard in batches.indices where !batches[shard].isEmpty {
            if !publish(shard: shard) { complete = false }
        }
        return complete
    }

    private func publish(shard: Int) -> Bool {
        let batch = batches[shard]
        var offset = pushedBytes[shard]
        while offset < batch.byteCount {
            let outcome = ring.push(batch, toShard: shard, startingAt: offset)
            if outcome.isComplete { break }
            if outcome.oversizedRecord {
                // Cannot fit even in an empty shard: waiting would never end. Skip that record.
                counts.droppedOversized += 1
                offset = outcome.nextByteOffset + outcome.blockingRecordBytes
                continue
            }
            switch policy {
            case .drop:
                counts.droppedRingFull += outcome.recordsRemaining
                offset = batch.byteCount
            case .report:
                pushedBytes[shard] = outcome.nextByteOffset
                return false
            case .wait:
                offset = outcome.nextByteOffset
                // The consumer drains in bulk; a short sleep lets it run without spinning a core.
                usleep(50)
            }
        }
        batch.removeAll()
        pushedBytes[shard] = 0
        return true
    }
}
