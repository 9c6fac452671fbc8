import MeterCore
import Synchronization

/// Hands flush deltas from the shard threads to the flusher.
///
/// The flusher asks for round `n` (`ShardControl.requestFlush`); each shard thread collects
/// its aggregator's deltas on its own thread and posts them for that round; the flusher takes
/// the round once every shard has posted. Rounds are taken in order, so a shard's deltas are
/// applied in the order it produced them.
final class FlushMailbox: Sendable {
    private struct Round {
        var posted = 0
        var deltas: [RollupDelta] = []
        var cut = WALCut()
        var ids = SeenIDs()
    }
    private let rounds = Mutex<[Int: Round]>([:])
    let shardCount: Int

    init(shardCount: Int) {
        self.shardCount = shardCount
    }

    /// - Parameter position: with a WAL, the position `shard`'s deltas cover (`ShardLog`).
    /// - Parameter ids: the idempotency keys `shard` counted in the events `deltas` cover.
    func post(round: Int, shard: Int, deltas: [RollupDelta], position: Int64? = nil, ids: [DedupEntry] = []) {
        rounds.withLock { rounds in
            rounds[round, default: Round()].ids.add(shard: shard, ids)
            rounds[round, default: Round()].posted += 1
            rounds[round, default: Round()].deltas.append(contentsOf: deltas)
            if let position { rounds[round, default: Round()].cut.advance(shard: shard, to: position) }
        }
    }

    /// The deltas of `round`, the WAL positions and the idempotency keys they cover, once every
    /// shard has posted.
    func take(round: Int) -> (deltas: [RollupDelta], cut: WALCut, ids: SeenIDs)? {
        rounds.withLock { rounds in
            guard let complete = rounds[round], complete.posted == shardCount else { return nil }
            rounds[round] = nil
            return (complete.deltas, complete.cut, complete.ids)
        }
    }
}

/// What the flusher asks of the shard threads; lock-free reads on their loop.
final class ShardControl: Sendable {
    private let flushRound = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    /// The latest round the flusher asked for.
    var requestedRound: Int { flushRound.load(ordering: .acquiring) }
    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    func requestFlush(round: Int) { flushRound.store(round, ordering: .releasing) }
    func stop() { stopping.store(true, ordering: .releasing) }
}
