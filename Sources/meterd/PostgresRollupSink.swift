import Logging
import MeterCore
import MeterIngest
import MeterPostgres
import Synchronization

/// The flusher's sink when `--postgres` is given: writes each flush's deltas and this
/// instance's flush position to PostgreSQL in one transaction (`RollupWriter`).
///
/// It lives in the executable because it joins two adapters that never import each other.
/// The connection is opened, and the schema migrated, on the first write and again after any
/// failure, so meterd starts and keeps ingesting while PostgreSQL is down; a failed write
/// throws and the flusher keeps those deltas for the next round.
final class PostgresRollupSink: RollupSink {
    private struct State {
        var connection: PostgresConnection?
        /// The last committed flush position of this instance. Until the write-ahead log
        /// exists it counts flushes; it continues from the stored checkpoint after a restart.
        var position: Int64 = 0
    }

    private let connectionString: String
    private let instance: String
    private let logger: Logger
    private let state = Mutex(State())

    init(connectionString: String, instance: String, logger: Logger) {
        self.connectionString = connectionString
        self.instance = instance
        self.logger = logger
    }

    func write(_ deltas: [RollupDelta]) throws {
        try state.withLock { state in
            do {
                let connection = try connect(&state)
                let position = state.position + 1
                _ = try RollupWriter(connection: connection).write(deltas, checkpoint: (instance, position))
                state.position = position
            } catch {
                // Drop the connection: the next write reconnects (and re-runs migrations).
                state.connection?.close()
                state.connection = nil
                logger.warning("rollup write to PostgreSQL failed", metadata: ["error": "\(error)"])
                throw error
            }
        }
    }

    private func connect(_ state: inout State) throws -> PostgresConnection {
        if let connection = state.connection, connection.isConnected { return connection }
        let connection = try PostgresConnection(connectionString: connectionString)
        let applied = try Migrations.apply(on: connection)
        if !applied.isEmpty { logger.info("schema migrations applied", metadata: ["versions": "\(applied)"]) }
        state.position = try RollupWriter(connection: connection).checkpoint(instance: instance) ?? 0
        state.connection = connection
        return connection
    }
}
