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
    @discardableResult
    public func ingest(line: UnsafeRawBufferPointer, now: Int64) -> RefusalReason? {
        counts.lines += 1
        if let reason = parser.parse(line, now: now, into: &parsed) {
            counts.refusals[reason] += 1
            return reason
        }
        let shard = ring.shardIndex(forHash: EventRecord.shardHash(of: parsed, in: line, hasher: hasher))
        let bodyBytes = EventRecord.bodyBytes(of: parsed)
        if !append(line, bodyBytes: bodyBytes, now: now, to: batches[shard]) {
            publish(shard: shard)
            let appended = append(line, bodyBytes: bodyBytes, now: now, to: batches[shard])
            precondition(appended, "a record larger than an empty batch")
        }
        counts.enqueued += 1
        return nil
    }

    @inline(__always)
    private func append(_ line: UnsafeRawBufferPointer, bodyBytes: Int, now: Int64, to batch: RecordBatch) -> Bool {
        batch.append(bodyBytes: bodyBytes) { body in
            EventRecord.encode(parsed, from: line, receivedAt: now, hasher: hasher, into: body)
        }
    }

    /// Pushes every pending batch into the ring. Call at the end of each read (datagram batch,
    /// stream chunk) so events do not wait in a half-full batch.
    public func publish() {
        for shard in batches.indices where !batches[shard].isEmpty {
            publish(shard: shard)
        }
    }

    private func publish(shard: Int) {
        let batch = batches[shard]
        var offset = 0
        while true {
            let outcome = ring.push(batch, toShard: shard, startingAt: offset)
            if outcome.isComplete { break }
            if outcome.oversizedRecord {
                // Cannot fit even in an empty shard: waiting would never end. Skip that record.
                counts.droppedOversized += 1
                offset = outcome.nextByteOffset + outcome.blockingRecordBytes
                if offset >= batch.byteCount { break }
                continue
            }
            if policy == .drop {
                counts.droppedRingFull += outcome.recordsRemaining
                break
            }
            offset = outcome.nextByteOffset
            // The consumer drains in bulk; a short sleep lets it run without spinning a core.
            usleep(50)
        }
        batch.removeAll()
    }
}
