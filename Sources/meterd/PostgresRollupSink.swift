import Logging
import MeterCore
import MeterIngest
import MeterPostgres
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The flusher's sink when `--postgres` is given: writes each flush's deltas and this
/// instance's flush position to PostgreSQL in one transaction (`CheckpointedRollupWriter`).
///
/// It lives in the executable because it joins two adapters that never import each other.
/// The connection is opened, and the schema migrated, on the first write and again after any
/// failure, so meterd starts and keeps ingesting while PostgreSQL is down. A failed write
/// throws; the flusher retries the same batch after a backoff, and a retry of a write whose
/// COMMIT did reach the server is recognised by the stored position and not applied twice.
/// libpq's `connect_timeout`, TCP keepalives, `tcp_user_timeout` and a `statement_timeout`
/// (`CheckpointedRollupWriter.connectionDefaults`) keep a dead server from hanging a write.
final class PostgresRollupSink: RollupSink {
    private let writer: Mutex<CheckpointedRollupWriter>
    /// The writer's committed position, published after each write for readers on other threads;
    /// -1 until the writer has read it from the database (a usage query must not take the
    /// position of a fresh process for the stored one).
    private let position = Atomic<Int64>(-1)
    private let logger: Logger
    /// With persisted deduplication: the shard count and `dedup.window_seconds`.
    private let dedup: (shards: Int, windowSeconds: Int64)?

    init(connectionString: String, instance: String, schemaOptions: SchemaOptions, logger: Logger,
         dedup: (shards: Int, windowSeconds: Int64)? = nil) {
        self.logger = logger
        self.dedup = dedup
        writer = Mutex(CheckpointedRollupWriter(instance: instance, schemaOptions: schemaOptions) {
            try PostgresConnection(connectionString: connectionString,
                                   defaults: CheckpointedRollupWriter.connectionDefaults)
        })
    }

    /// At start-up: connect and migrate now, so the schema exists before the first flush.
    func prepare() throws {
        try writer.withLock { writer in
            do {
                try writer.prepare()
            } catch {
                logger.warning("PostgreSQL is not reachable at start-up; ingesting anyway, flushes retry with backoff",
                               metadata: ["error": "\(error)"])
                throw error
            }
            logger.info("PostgreSQL ready", metadata: [
                "schema.migrations_applied": "\(writer.lastAppliedMigrations)", "flush.position": "\(writer.position)",
            ])
            position.store(writer.position, ordering: .releasing)
        }
    }

    func write(_ deltas: [RollupDelta]) throws {
        try write(deltas, covering: nil)
    }

    /// The deltas and, with a WAL, the per-shard positions they cover, in one transaction.
    func write(_ deltas: [RollupDelta], covering cut: WALCut?) throws {
        try write(deltas, covering: cut, ids: SeenIDs())
    }

    var committedWrites: Int64? {
        let position = position.load(ordering: .acquiring)
        return position < 0 ? nil : position
    }

    /// The most expired idempotency keys one flush deletes: enough to keep up with the keys it
    /// inserts (twice as many), and at least `minimumExpiry`.
    static let minimumExpiry = 10_000

    /// The deltas, the WAL positions and the idempotency keys they cover, in one transaction.
    func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws {
        let dedupWrite = dedup.map { dedup in
            DedupIDSQL.Write(ids: ids, shards: dedup.shards, expireBefore: Int64(time(nil)) - dedup.windowSeconds,
                             expireLimit: max(Self.minimumExpiry, 2 * ids.count))
        }
        try writer.withLock { writer in
            let migrationsBefore = writer.lastAppliedMigrations
            let outcome: CheckpointedRollupWriter.Outcome
            do {
                outcome = try writer.write(deltas, walPositions: cut?.positions, dedup: dedupWrite)
            } catch {
                // One line per outage is the flusher's; each failed attempt is debug only.
                logger.debug("rollup write to PostgreSQL failed", metadata: ["error": "\(error)"])
                throw error
            }
            if writer.lastAppliedMigrations != migrationsBefore, !writer.lastAppliedMigrations.isEmpty {
                logger.info("schema migrations applied", metadata: ["versions": "\(writer.lastAppliedMigrations)"])
            }
            position.store(writer.position, ordering: .releasing)
            if case .alreadyCommitted(let position) = outcome {
                logger.notice("the previous rollup write had committed before its connection failed; not applied again",
                              metadata: ["flush.position": "\(position)"])
            }
        }
    }
}
