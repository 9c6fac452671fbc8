import MeterCore
import Synchronization

/// What each shard's aggregation thread last published: its consumer's counts and series.
public struct ShardSnapshot: Sendable, Hashable {
    public var counts = AggregateCounts()
    public var series = 0
}

/// Per-shard snapshots, written by the shard threads after each drained run (never per
/// event) and read by the metrics reporter; and each shard thread's last turn, for the
/// liveness probe behind the systemd watchdog.
public final class AggregateStats: Sendable {
    private let shards: Mutex<[ShardSnapshot]>
    /// Monotonic seconds of each shard loop's last turn (its own lock: written every turn).
    private let turns: Mutex<[Double]>

    public init(shardCount: Int) {
        shards = Mutex(Array(repeating: ShardSnapshot(), count: shardCount))
        turns = Mutex(Array(repeating: monotonicSeconds(), count: shardCount))
    }

    /// Called by shard `shard`'s loop on every turn: at least every `ShardLoop.idleWait` when
    /// idle, after at most `ShardLoop.drainsPerCheck` drains when busy.
    func recordTurn(shard: Int) {
        let now = monotonicSeconds()
        turns.withLock { $0[shard] = now }
    }

    /// Monotonic seconds of each shard loop's last turn.
    public func lastTurns() -> [Double] {
        turns.withLock { $0 }
    }

    func publish(shard: Int, _ snapshot: ShardSnapshot) {
        shards.withLock { $0[shard] = snapshot }
    }

    public func snapshots() -> [ShardSnapshot] {
        shards.withLock { $0 }
    }
}
