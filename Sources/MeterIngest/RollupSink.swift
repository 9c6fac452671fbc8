import MeterCore
import Synchronization

/// Where flushed rollup deltas go. The executable puts the PostgreSQL writer, the in-memory
/// totals and the Redis mirror behind it (`Sources/meterd/`); this module knows none of them.
///
/// Contract: `write` applies all of `deltas`, in order, or none of them (it throws) — or, when
/// it throws after the commit (an answer lost with the connection), the sink must recognise
/// the retry: after a throw the flusher passes the very same deltas again, and nothing else,
/// until a write returns (newer deltas wait). `write` blocks and is called from the flusher's
/// writer thread, one call at a time.
///
/// With a write-ahead log, the flusher calls `write(_:covering:)` with the per-shard WAL
/// positions the deltas cover (`WALCut`, the same cut again on a retry): a durable sink commits
/// them in the same transaction as the deltas. Sinks that keep nothing across restarts
/// implement `write(_:)` only.
///
/// With persisted deduplication, the flusher calls `write(_:covering:ids:)` with the
/// idempotency keys counted in the events the deltas cover (the same keys again on a retry):
/// a durable sink commits them in the same transaction (docs/dedup.md "Restarts"). The default
/// ignores them.
public protocol RollupSink: Sendable {
    func write(_ deltas: [RollupDelta]) throws
    /// Writes `deltas` and, when `cut` is given, the WAL positions they cover, atomically.
    func write(_ deltas: [RollupDelta], covering cut: WALCut?) throws
    /// Writes `deltas`, the WAL positions and the idempotency keys they cover, atomically.
    func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws
    /// Gets ready to write, at start-up (a database sink connects and migrates its schema). A
    /// throw is not fatal: `write` tries again. Called on the writer thread before any write.
    func prepare() throws
    /// How many writes this instance has committed, counted the way the durable record counts
    /// them (PostgreSQL: this instance's `meterd.flush_checkpoints` position); `nil` when the
    /// sink does not count. Readable from any thread; it changes only when a write returns, so
    /// the batch being written commits as `committedWrites + 1`. Usage queries and the Redis
    /// resync compare it with the counter they read next to the rows (docs/queries.md).
    var committedWrites: Int64? { get }
}

extension RollupSink {
    public func prepare() throws {}
    public var committedWrites: Int64? { nil }
    public func write(_ deltas: [RollupDelta], covering cut: WALCut?) throws { try write(deltas) }
    public func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws {
        try write(deltas, covering: cut)
    }
}

/// Keeps flushed totals in memory: used by tests and by the debug endpoint
/// `GET /debug/rollups` until rollups are read from PostgreSQL.
public final class InMemoryRollupSink: RollupSink {
    private let totals = Mutex((rows: RollupTotals(), writes: Int64(0)))

    public init() {}

    public func write(_ deltas: [RollupDelta]) throws {
        totals.withLock { state in
            state.rows.apply(deltas)
            state.writes += 1
        }
    }

    /// A copy of every row.
    public func rows() -> [RollupKey: RollupValue] {
        totals.withLock { $0.rows.rows }
    }

    /// A copy of every row and the count of writes they hold, read together.
    public func rowsAndWrites() -> (rows: [RollupKey: RollupValue], writes: Int64) {
        totals.withLock { ($0.rows.rows, $0.writes) }
    }

    public var committedWrites: Int64? { totals.withLock { $0.writes } }
}
