public import MeterCore

/// The daemon's flush target: owns one connection (opened, and the schema migrated, on first
/// use and again after any failure), this instance's flush position in
/// `meterd.flush_checkpoints`, and the answer to "did the last failed write commit?".
///
/// Every write commits its rows and the next position in one transaction (`RollupWriter`). A
/// write can throw after its COMMIT reached the server (the connection dropped before the
/// answer came back): its outcome is unknown. The position it tried is then kept as
/// `inDoubt`; the next write reconnects, reads the stored position, and if it equals the
/// position in doubt that write did commit, so the retried batch, which must be the same
/// batch (`write`'s contract), is acknowledged without being applied a second time.
///
/// Not `Sendable`, blocking: one owner calls it from one thread at a time.
public final class CheckpointedRollupWriter {
    /// libpq settings that keep a dead or unreachable server from hanging a flush forever; the
    /// connection string overrides any of them.
    public static let connectionDefaults: [(key: String, value: String)] = [
        ("connect_timeout", "5"),
        ("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"), ("keepalives_count", "3"),
        ("tcp_user_timeout", "30000"),
        ("options", "-c statement_timeout=60000"),
    ]

    public enum Outcome: Sendable, Hashable {
        /// The rows were applied now, at `position`.
        case written(RollupWriter.Summary, position: Int64)
        /// The previous, failed, attempt of this batch had committed at `position`: nothing
        /// was applied now.
        case alreadyCommitted(position: Int64)
    }

    public let instance: String
    private let connect: () throws -> PostgresConnection
    private let schemaOptions: SchemaOptions
    private var connection: PostgresConnection?
    /// The last position this writer knows committed (read back on every reconnect).
    public private(set) var position: Int64 = 0
    /// The position of a write that threw, whose commit may or may not have happened.
    public private(set) var inDoubt: Int64?
    /// Migration versions applied by the last (re)connect; for the caller's log.
    public private(set) var lastAppliedMigrations: [Int] = []
    /// Test seam: runs after a write committed and before it is recorded; a throw here is a
    /// lost COMMIT answer (the connection is closed as after any failure).
    package var afterCommit: (() throws -> Void)?

    /// - Parameter connect: opens a new connection (for example with `connectionDefaults`).
    public init(instance: String, schemaOptions: SchemaOptions = SchemaOptions(),
                connect: @escaping () throws -> PostgresConnection) {
        self.instance = instance
        self.schemaOptions = schemaOptions
        self.connect = connect
    }

    /// Applies `deltas` and the next position in one transaction, and with `walPositions`
    /// (shard → WAL position) replaces this instance's rows in `meterd.wal_checkpoints` in the
    /// same transaction, and with `dedup` inserts the idempotency keys the deltas cover into
    /// `meterd.dedup_ids` (and deletes expired ones) in it too. After a throw, call `write`
    /// again with the same `deltas`, the same positions and the same keys (and nothing else)
    /// until it returns.
    @discardableResult
    public func write(_ deltas: [RollupDelta], walPositions: [Int: Int64]? = nil,
                      dedup: DedupIDSQL.Write? = nil) throws -> Outcome {
        do {
            let connection = try connected()
            if let doubt = inDoubt {
                inDoubt = nil
                if position == doubt { return .alreadyCommitted(position: doubt) }
            }
            let next = position + 1
            inDoubt = next
            let instance = instance
            let summary = try RollupWriter(connection: connection).write(deltas, checkpoint: (instance, next)) { connection in
                if let walPositions { try WALCheckpointSQL.replace(on: connection, instance: instance, positions: walPositions) }
                if let dedup { try DedupIDSQL.write(dedup, on: connection, instance: instance) }
            }
            try afterCommit?()
            inDoubt = nil
            position = next
            return .written(summary, position: next)
        } catch {
            // The next write reconnects and reads the stored position back.
            connection?.close()
            connection = nil
            throw error
        }
    }

    /// Connects, migrates the schema and reads this instance's position now (meterd does it at
    /// start-up) instead of at the first write. After a throw the next call or write retries.
    public func prepare() throws {
        do {
            _ = try connected()
        } catch {
            connection?.close()
            connection = nil
            throw error
        }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, connection.isConnected { return connection }
        connection?.close()
        connection = nil
        let fresh = try connect()
        lastAppliedMigrations = try Migrations.apply(on: fresh, options: schemaOptions)
        position = try RollupWriter(connection: fresh).checkpoint(instance: instance) ?? 0
        connection = fresh
        return fresh
    }
}
