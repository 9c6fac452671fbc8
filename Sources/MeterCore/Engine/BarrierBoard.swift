import Synchronization

/// What the shards saw of one connection's events between two of its barriers: the events
/// the aggregators did not count (duplicates and limit refusals). Accepted events are not
/// tallied (the connection derives them: queued minus these).
public struct BarrierTally: Sendable, Hashable {
    public var duplicates = 0
    public var refusals = RefusalCounts()
    /// HTTP sources only (`BarrierBoard.isHTTPSource`): each non-accepted outcome with its
    /// shard and ordinal, so the request maps it back to its event (BarrierTally+Records).
    public var records: [RecordOutcome] = []
    /// HTTP sources only: records of the source this shard saw since its last marker.
    public var seen = 0

    public init() {}

    public var isEmpty: Bool { duplicates == 0 && refusals.total == 0 }

    public mutating func add(_ outcome: AggregateOutcome) {
        switch outcome {
        case .accepted: break
        case .duplicate: duplicates += 1
        case .refused(let reason): refusals[reason] += 1
        }
    }

    public mutating func add(_ other: BarrierTally) {
        duplicates += other.duplicates
        for reason in RefusalReason.allCases where other.refusals[reason] > 0 {
            refusals[reason] += other.refusals[reason]
        }
        records += other.records
    }
}

/// The sync barriers of stream connections in flight, shared by the connections (which
/// register a barrier, then push one marker record into every ring shard) and the shard
/// threads (which report each marker once the records before it are durable, or aggregated
/// without a WAL). When the last shard reported, the barrier's completion runs (on the
/// reporting thread: it must hop to its connection's event loop).
///
/// Also hands out connection source ids (24 bits, never 0) and tells the shard threads which
/// sources closed, so they drop their tallies.
public final class BarrierBoard: Sendable {
    public typealias Completion = @Sendable (_ barrier: UInt64, _ tally: BarrierTally, _ durable: Bool) -> Void

    struct Pending {
        var remaining: Int
        var tally = BarrierTally()
        var durable = true
        let completion: Completion
    }

    struct State {
        var nextBarrier: UInt64 = 1
        var pending: [UInt64: Pending] = [:]
    }

    public let shardCount: Int
    private let state = Mutex(State())
    private let nextSource = Atomic<UInt32>(0)
    private let nextHTTPSource = Atomic<UInt32>(0)
    private final class ClosedList: Sendable {
        let sources = Mutex<[UInt32]>([])
    }
    private let closed: [ClosedList]

    public init(shardCount: Int) {
        self.shardCount = shardCount
        closed = (0..<shardCount).map { _ in ClosedList() }
    }

    /// A new source id for a connection: 1...0x7FFFFF, wrapping (the upper half of the
    /// 24-bit range is for HTTP requests, `makeHTTPSource`).
    public func makeSource() -> UInt32 {
        while true {
            let id = (nextSource.add(1, ordering: .relaxed).newValue) & (BarrierBoard.firstHTTPSource - 1)
            if id != 0 { return id }
        }
    }

    /// A new source id for one HTTP request: 0x800000...0xFFFFFF, wrapping.
    public func makeHTTPSource() -> UInt32 {
        let offset = nextHTTPSource.add(1, ordering: .relaxed).newValue & (BarrierBoard.firstHTTPSource - 1)
        return BarrierBoard.firstHTTPSource | offset
    }

    /// Registers a barrier whose markers go to every shard; returns its id.
    public func register(_ completion: @escaping Completion) -> UInt64 {
        state.withLock { state in
            let id = state.nextBarrier
            state.nextBarrier += 1
            state.pending[id] = Pending(remaining: shardCount, completion: completion)
            return id
        }
    }

    /// Forgets a barrier whose markers will not all be queued (an HTTP request that timed
    /// out waiting for the ring): its completion never runs, later reports are ignored.
    public func cancel(_ barrier: UInt64) {
        state.withLock { _ = $0.pending.removeValue(forKey: barrier) }
    }

    /// Barriers registered and not yet complete.
    public var inFlight: Int { state.withLock { $0.pending.count } }

    /// A shard reports its marker of `barrier`: the records before it are durable (or,
    /// `durable` false, aggregated only). Runs the completion when it was the last shard.
    public func markerDone(barrier: UInt64, tally: BarrierTally, durable: Bool) {
        let done: (Completion, BarrierTally, Bool)? = state.withLock { state in
            guard var pending = state.pending[barrier] else { return nil }
            pending.remaining -= 1
            pending.tally.add(tally)
            pending.durable = pending.durable && durable
            if pending.remaining > 0 {
                state.pending[barrier] = pending
                return nil
            }
            state.pending[barrier] = nil
            return (pending.completion, pending.tally, pending.durable)
        }
        if let done { done.0(barrier, done.1, done.2) }
    }

    /// A connection closed: every shard drops its tally of `source`.
    public func sourceClosed(_ source: UInt32) {
        guard source != 0 else { return }
        for list in closed { list.sources.withLock { $0.append(source) } }
    }

    /// The sources closed since the last call for `shard` (one uncontended lock when none).
    public func takeClosed(shard: Int) -> [UInt32] {
        closed[shard].sources.withLock { list in
            if list.isEmpty { return [] }
            let taken = list
            list.removeAll()
            return taken
        }
    }
}
