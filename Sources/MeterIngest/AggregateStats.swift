import MeterCore
import Synchronization

/// What each shard's aggregation thread last published: its consumer's counts and series.
public struct ShardSnapshot: Sendable, Hashable {
    public var counts = AggregateCounts()
    public var series = 0
}

/// Per-shard snapshots, written by the shard threads after each drained run (never per
/// event) and read by the metrics reporter.
public final class AggregateStats: Sendable {
    private let shards: Mutex<[ShardSnapshot]>

    public init(shardCount: Int) {
        shards = Mutex(Array(repeating: ShardSnapshot(), count: shardCount))
    }

    func publish(shard: Int, _ snapshot: ShardSnapshot) {
        shards.withLock { $0[shard] = snapshot }
    }

    public func snapshots() -> [ShardSnapshot] {
        shards.withLock { $0 }
    }
}
