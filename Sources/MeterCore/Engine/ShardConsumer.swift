/// The consuming half of one ring shard: drains it in bulk and feeds its aggregator.
///
/// One owner (the shard's aggregation thread); not thread-safe.
public final class ShardConsumer {
    public let shard: Int
    public let ring: ShardedRing
    public let aggregator: ShardAggregator
    // One owner (see above): skip the runtime exclusivity checks.
    @exclusivity(unchecked) public private(set) var counts = AggregateCounts()
    let batch: RecordBatch

    /// - Parameter batchBytes: bytes drained per step; must hold the largest record.
    public init(shard: Int, ring: ShardedRing, aggregator: ShardAggregator, batchBytes: Int = 256 * 1024) {
        self.shard = shard
        self.ring = ring
        self.aggregator = aggregator
        batch = RecordBatch(capacity: batchBytes)
    }

    /// Drains one batch worth of records and aggregates them; returns how many.
    @discardableResult
    public func drainOnce() -> Int {
        let drained = ring.drain(shard: shard, into: batch)
        if drained > 0 {
            aggregator.aggregate(batch, counts: &counts)
            batch.removeAll()
        }
        return drained
    }

    /// True while a drained batch waits because `drainOnce(log:)`'s hook refused it.
    public var isHoldingBatch: Bool { !batch.isEmpty }

    /// Like `drainOnce()`, but hands each drained batch to `log` first (its framed record
    /// bytes and record count) and aggregates it only when `log` returns true. On refusal the
    /// batch is kept, un-aggregated, and the next call offers the same batch again before
    /// draining anything more (the ring fills meanwhile). Returns how many were aggregated.
    ///
    /// The hook is how the daemon writes a batch to its write-ahead log before aggregating it
    /// (MeterCore does no I/O itself).
    @discardableResult
    public func drainOnce(log: (UnsafeRawBufferPointer, Int) -> Bool) -> Int {
        if batch.isEmpty {
            guard ring.drain(shard: shard, into: batch) > 0 else { return 0 }
        }
        guard log(batch.bytes, batch.recordCount) else { return 0 }
        let drained = batch.recordCount
        aggregator.aggregate(batch, counts: &counts)
        batch.removeAll()
        return drained
    }

    /// `drainOnce(log:)` until the shard is empty or the hook refuses.
    @discardableResult
    public func drainAll(log: (UnsafeRawBufferPointer, Int) -> Bool) -> Int {
        var total = 0
        while true {
            let drained = drainOnce(log: log)
            if drained == 0 { return total }
            total += drained
        }
    }

    /// Drains until the shard is empty; returns how many records were aggregated.
    @discardableResult
    public func drainAll() -> Int {
        var total = 0
        while true {
            let drained = drainOnce()
            if drained == 0 { return total }
            total += drained
        }
    }
}
