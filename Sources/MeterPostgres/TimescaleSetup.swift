import MeterCore

/// The TimescaleDB path: hypertables, compression and retention, used only when the
/// `timescaledb` extension is available. The tables, keys and every query are the same on both
/// paths; only storage differs.
enum TimescaleSetup {
    static func isAvailable(on connection: PostgresConnection) throws -> Bool {
        try !connection.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").rows.isEmpty
    }

    static func isInstalled(on connection: PostgresConnection) throws -> Bool {
        try !connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").rows.isEmpty
    }

    /// Migration 2. Creates the extension if it is available but not yet created (inside a
    /// savepoint: creating it needs rights the meterd role may lack, and then the plain tables
    /// stay), and converts the rollup tables and set members into hypertables on `bucket`.
    /// Returns the path taken, recorded in `schema_migrations.note`.
    @Sendable
    static func convertToHypertables(on connection: PostgresConnection, options: SchemaOptions) throws -> String? {
        guard try isAvailable(on: connection) else { return "plain tables: timescaledb not available" }
        if try !isInstalled(on: connection) {
            try connection.execute("SAVEPOINT meterd_timescaledb")
            do {
                try connection.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                try connection.execute("RELEASE SAVEPOINT meterd_timescaledb")
            } catch let error as PostgresError where error.code == .server {
                try connection.execute("ROLLBACK TO SAVEPOINT meterd_timescaledb")
                return "plain tables: CREATE EXTENSION timescaledb failed (\(error.sqlState ?? "?"))"
            }
        }
        let chunks: [(String, String)] = [
            (RollupTable.name(.hour), options.chunkIntervalHourly),
            (RollupTable.name(.day), options.chunkIntervalDaily),
            (RollupTable.name(.month), options.chunkIntervalMonthly),
            ("\(RollupTable.schema).set_members", options.chunkIntervalDaily),
        ]
        for (table, interval) in chunks {
            try connection.execute("""
                SELECT create_hypertable($1::regclass, 'bucket', chunk_time_interval => $2::interval,
                                         if_not_exists => true, migrate_data => true)
                """, parameters: [table, interval])
        }
        return "hypertables"
    }

    /// Compression and retention follow `options` on every start-up (they are settings, not
    /// schema versions): existing policies are replaced.
    static func applyPolicies(on connection: PostgresConnection, options: SchemaOptions) throws {
        for grain in Grain.finestFirst {
            let table = RollupTable.name(grain)
            try connection.execute("SELECT remove_compression_policy($1::regclass, if_exists => true)", parameters: [table])
            if let compressAfter = options.compressAfter {
                try connection.execute("""
                    ALTER TABLE \(table) SET (timescaledb.compress,
                        timescaledb.compress_segmentby = 'tenant, metric', timescaledb.compress_orderby = 'bucket')
                    """)
                try connection.execute("SELECT add_compression_policy($1::regclass, $2::interval)",
                                       parameters: [table, compressAfter])
            }
        }
        let hourly = RollupTable.name(.hour)
        try connection.execute("SELECT remove_retention_policy($1::regclass, if_exists => true)", parameters: [hourly])
        if let retention = options.hourlyRetention {
            try connection.execute("SELECT add_retention_policy($1::regclass, $2::interval)", parameters: [hourly, retention])
        }
    }
}
