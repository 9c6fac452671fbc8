/// What one `ShardedRing.push` did with a batch.
///
/// A push copies whole records, in batch order, until the next one does not fit; it never
/// splits a record and never skips one. What the rest means is the caller's decision:
/// - UDP counts `recordsRemaining` as drops (ring full) and moves on.
/// - TCP stops reading, waits for the aggregator to drain, and pushes the same batch again
///   from `nextByteOffset` (backpressure).
///
/// When `oversizedRecord` is true the record at `nextByteOffset` is larger than the whole
/// shard: it can never fit, so waiting for room would wait forever. Count it as a drop and
/// continue from `nextByteOffset + blockingRecordBytes`.
public struct RingPushOutcome: Sendable, Hashable {
    /// Whole records copied into the shard by this push.
    public var recordsPushed: Int
    /// Bytes copied into the shard by this push, length prefixes included.
    public var bytesPushed: Int
    /// The batch offset of the first record not pushed (the batch's `byteCount` when complete).
    /// Always a record boundary, so it is a valid `startingAt` for a retry.
    public var nextByteOffset: Int
    /// Records of the batch from `nextByteOffset` on that were not pushed.
    public var recordsRemaining: Int
    /// Framed length of the record at `nextByteOffset`, the one that did not fit; 0 when complete.
    public var blockingRecordBytes: Int
    /// True when the record at `nextByteOffset` is larger than the shard's capacity and can never be pushed.
    public var oversizedRecord: Bool

    /// True when every record of the batch from the starting offset is in the shard.
    @inlinable public var isComplete: Bool { recordsRemaining == 0 }

    @inlinable
    public init(recordsPushed: Int, bytesPushed: Int, nextByteOffset: Int, recordsRemaining: Int,
                blockingRecordBytes: Int, oversizedRecord: Bool) {
        self.recordsPushed = recordsPushed
        self.bytesPushed = bytesPushed
        self.nextByteOffset = nextByteOffset
        self.recordsRemaining = recordsRemaining
        self.blockingRecordBytes = blockingRecordBytes
        self.oversizedRecord = oversizedRecord
    }
}
