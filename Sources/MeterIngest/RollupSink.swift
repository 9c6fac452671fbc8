import MeterCore
import Synchronization

/// Where flushed rollup deltas go. The executable puts the PostgreSQL writer, the in-memory
/// totals and the Redis mirror behind it (`Sources/meterd/`); this module knows none of them.
///
/// Contract: `write` applies all of `deltas`, in order, or none of them (it throws); the
/// flusher keeps deltas whose write threw and passes them again, before newer ones, on the
/// next flush. `write` is called from one task at a time.
public protocol RollupSink: Sendable {
    func write(_ deltas: [RollupDelta]) throws
}

/// Keeps flushed totals in memory: used by tests and by the debug endpoint
/// `GET /debug/rollups` until rollups are read from PostgreSQL.
public final class InMemoryRollupSink: RollupSink {
    private let totals = Mutex(RollupTotals())

    public init() {}

    public func write(_ deltas: [RollupDelta]) throws {
        totals.withLock { $0.apply(deltas) }
    }

    /// A copy of every row.
    public func rows() -> [RollupKey: RollupValue] {
        totals.withLock { $0.rows }
    }
}
