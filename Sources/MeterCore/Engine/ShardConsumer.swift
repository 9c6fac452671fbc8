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
