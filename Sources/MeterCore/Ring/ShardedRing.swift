/// The bounded hand-off between parsers and aggregators: `shardCount` independent byte
/// rings of `bytesPerShard` bytes each, holding records framed as in `RecordBatch`.
///
/// Producers (parsers on receiving threads) fill a `RecordBatch` per shard and push it;
/// one consumer per shard (its aggregator) drains the shard into its own batch. Records of
/// one shard come out in the order they went in; `shardIndex(forHash:)` maps
/// `EventRecord.shardHash` to a shard, so each (tenant, metric) keeps its order.
///
/// Memory: every shard's buffer is allocated in `init` and never grows, so the ring holds
/// at most `shardCount * bytesPerShard` bytes of records whatever the load. A full shard
/// refuses records (see `RingPushOutcome`) instead of growing.
///
/// Locking: each shard has its own lock, taken once per push or drain of a whole batch, so
/// producers on different shards never contend and a batch costs one acquisition.
public final class ShardedRing: Sendable {
    /// Number of shards; shard indices are `0..<shardCount`.
    public let shardCount: Int
    /// Capacity of each shard in bytes, length prefixes included.
    public let bytesPerShard: Int
    private let shards: [RingShard]

    /// - Parameters:
    ///   - shardCount: at least 1.
    ///   - bytesPerShard: more than `RecordBatch.prefixBytes` and at most `UInt32.max`.
    ///     The largest record a shard accepts is this many bytes, prefix included.
    public init(shardCount: Int, bytesPerShard: Int) {
        precondition(shardCount >= 1, "a ring needs at least one shard")
        self.shardCount = shardCount
        self.bytesPerShard = bytesPerShard
        shards = (0..<shardCount).map { _ in RingShard(capacity: bytesPerShard) }
    }

    /// The shard for a record whose shard hash is `hash`, in `0..<shardCount`.
    ///
    /// Multiply-high rather than modulo: `(hash * shardCount) >> 64` maps equal slices of the
    /// hash range to each shard, with no division and no bias toward low shard indices.
    @inlinable
    public func shardIndex(forHash hash: UInt64) -> Int {
        Int(truncatingIfNeeded: hash.multipliedFullWidth(by: UInt64(truncatingIfNeeded: shardCount)).high)
    }

    /// Copies as many whole records of `batch` as fit, from `byteOffset` on, into `shard`,
    /// under one acquisition of the shard's lock, with one or two bulk copies (two when the
    /// run wraps around the end of the ring).
    ///
    /// A full shard is an operating condition, not an error: the outcome says how far the
    /// push got. UDP callers count `recordsRemaining` as drops; TCP callers wait for the
    /// consumer and push again from `nextByteOffset`. A record larger than the whole shard is
    /// reported with `oversizedRecord`, because no amount of waiting would make it fit.
    ///
    /// - Precondition: `shard` is in `0..<shardCount`; `byteOffset` is a record boundary of
    ///   `batch` (0, or a `nextByteOffset` from an earlier push of the same batch).
    public func push(_ batch: RecordBatch, toShard shard: Int, startingAt byteOffset: Int = 0) -> RingPushOutcome {
        self.shard(shard).push(batch, startingAt: byteOffset)
    }

    /// Moves the oldest records of `shard`, as many whole ones as fit in `batch`'s free
    /// space, to the end of `batch`, under one acquisition of the shard's lock. Returns the
    /// number of records moved; 0 when the shard is empty or `batch` has no room for the
    /// oldest record.
    ///
    /// - Precondition: `shard` is in `0..<shardCount`. An empty `batch` must be able to hold
    ///   the oldest record, or the shard could never be drained; a batch of at least
    ///   `bytesPerShard` bytes always can.
    public func drain(shard: Int, into batch: RecordBatch) -> Int {
        self.shard(shard).drain(into: batch)
    }

    /// Bytes (prefixes included) and records waiting in `shard`. Read without the lock: a
    /// consistent pair, but possibly a moment behind a concurrent push or drain.
    public func occupancy(shard: Int) -> (bytes: Int, records: Int) {
        self.shard(shard).occupancy
    }

    /// Lifetime counters of `shard`, read without the lock.
    public func counters(shard: Int) -> RingShardCounters {
        self.shard(shard).counters
    }

    /// Blocks the calling thread until `shard` holds at least one record or `timeout`
    /// elapses, without spinning (a condition variable per shard). Returns true when the shard
    /// holds records. For a consumer on its own thread: drain until empty, then wait; a
    /// bounded timeout lets it notice shutdown. Do not call from Swift concurrency's
    /// cooperative pool: it blocks the thread.
    public func waitForRecords(shard: Int, timeout: Duration) -> Bool {
        self.shard(shard).waitForRecords(timeout: timeout)
    }

    /// Ends the consumer's current or next `waitForRecords` early (it returns false), so it
    /// turns now: for requests that are not records (a usage query's snapshot).
    public func wakeConsumer(shard: Int) {
        self.shard(shard).wakeConsumer()
    }

    /// The shard's head offset, used bytes and record count, read under its lock.
    package func positions(shard: Int) -> (head: Int, usedBytes: Int, usedRecords: Int) {
        self.shard(shard).positions
    }

    private func shard(_ index: Int) -> RingShard {
        precondition(index >= 0 && index < shards.count, "shard index out of range")
        return shards[index]
    }
}
