import MeterCore
import Synchronization

/// A usage query's requests for what the shard threads hold un-collected (docs/queries.md,
/// step 1). The aggregators have one owner each, their shard thread, so a query cannot read
/// them: it posts a request, wakes the shard threads, and each answers on its next turn with
/// `ShardAggregator.peekDeltas` for the requested series. The completion runs once every
/// shard has answered, on the thread of the last one: it must be quick (hand the deltas on).
///
/// A shard answers after its flush-round check in the same turn (`ShardLoop`), so a round
/// requested before the request was posted is collected before the answer: an answer never
/// overlaps what that round handed to the flusher.
public final class ShardSnapshotRequests: Sendable {
    /// The deltas every shard holds un-collected for the selection, or nil when the shard
    /// threads stopped before all had answered.
    public typealias Completion = @Sendable (_ deltas: [RollupDelta]?) -> Void
    /// Runs on a shard thread in the turn it answers, right after it read its deltas: events
    /// that shard aggregated before are in the answer, those it aggregates after are not.
    public typealias ShardTurnHook = @Sendable (_ shard: Int) -> Void

    private struct Pending {
        let id: Int
        let selection: SeriesSelection
        let onShardTurn: ShardTurnHook?
        var remaining: Int
        var deltas: [RollupDelta] = []
        let completion: Completion
    }

    private struct State {
        var pending: [Pending] = []
        var lastID = 0
        var closed = false
    }

    public let shardCount: Int
    private let state = Mutex(State())
    /// The id of the latest request: a shard thread compares it with the last it answered,
    /// one atomic load per turn.
    private let latest = Atomic<Int>(0)
    private let wake: @Sendable (_ shard: Int) -> Void

    /// - Parameter wake: ends a shard thread's idle sleep (`ShardedRing.wakeConsumer`).
    public init(shardCount: Int, wake: @escaping @Sendable (_ shard: Int) -> Void) {
        self.shardCount = shardCount
        self.wake = wake
    }

    /// Asks every shard for its un-collected deltas of `selection`; `onShardTurn` runs on each
    /// shard thread at the turn it answers (keep it tiny: the shard drains nothing meanwhile).
    public func request(_ selection: SeriesSelection, onShardTurn: ShardTurnHook? = nil,
                        completion: @escaping Completion) {
        let posted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.lastID += 1
            state.pending.append(Pending(id: state.lastID, selection: selection, onShardTurn: onShardTurn,
                                         remaining: shardCount, completion: completion))
            // Inside the lock, so ids are published in order.
            latest.store(state.lastID, ordering: .releasing)
            return true
        }
        guard posted else { return completion(nil) }
        for shard in 0..<shardCount { wake(shard) }
    }

    /// `request` for async callers.
    public func snapshot(_ selection: SeriesSelection, onShardTurn: ShardTurnHook? = nil) async -> [RollupDelta]? {
        await withCheckedContinuation { continuation in
            request(selection, onShardTurn: onShardTurn) { continuation.resume(returning: $0) }
        }
    }

    /// The latest request's id. A shard thread reads it before its flush-round check.
    var latestID: Int { latest.load(ordering: .acquiring) }

    /// Answers, for `shard`, every request with an id in `answered + 1 ... upTo` (each shard
    /// answers each request once: `answered` only grows). `peek` runs outside the lock.
    func answer(shard: Int, after answered: Int, upTo last: Int, peek: (SeriesSelection) -> [RollupDelta]) {
        let asked = state.withLock { state in
            state.pending.filter { $0.id > answered && $0.id <= last }.map { ($0.id, $0.selection, $0.onShardTurn) }
        }
        var finished: [(Completion, [RollupDelta])] = []
        for (id, selection, onShardTurn) in asked {
            let deltas = peek(selection)
            onShardTurn?(shard)
            state.withLock { state in
                guard let index = state.pending.firstIndex(where: { $0.id == id }) else { return }
                state.pending[index].deltas.append(contentsOf: deltas)
                state.pending[index].remaining -= 1
                if state.pending[index].remaining == 0 {
                    let done = state.pending.remove(at: index)
                    finished.append((done.completion, done.deltas))
                }
            }
        }
        for (completion, deltas) in finished { completion(deltas) }
    }

    /// The shard threads have stopped: requests still waiting, and any made later, complete
    /// with nil.
    func close() {
        let abandoned = state.withLock { state in
            state.closed = true
            defer { state.pending.removeAll() }
            return state.pending.map(\.completion)
        }
        for completion in abandoned { completion(nil) }
    }
}
