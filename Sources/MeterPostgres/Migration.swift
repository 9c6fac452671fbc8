/// One versioned schema change. Versions are applied in ascending order, each once per database;
/// a shipped migration is never edited, only followed by a new one.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    /// Runs the change inside the migration transaction and returns a note recorded beside the
    /// version (for example which storage path was chosen), or nil.
    public var apply: @Sendable (PostgresConnection, SchemaOptions) throws -> String?

    public init(version: Int, name: String, apply: @escaping @Sendable (PostgresConnection, SchemaOptions) throws -> String?) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    /// A migration made of plain SQL statements, run in order.
    public init(version: Int, name: String, statements: [String]) {
        self.init(version: version, name: name) { connection, _ in
            for statement in statements { try connection.execute(statement) }
            return nil
        }
    }
}

/// Storage settings that migrations and start-up apply. Only used where TimescaleDB is present.
public struct SchemaOptions: Sendable, Hashable {
    /// Hypertable chunk sizes per grain, as PostgreSQL intervals.
    public var chunkIntervalHourly = "7 days"
    public var chunkIntervalDaily = "1 month"
    public var chunkIntervalMonthly = "1 year"
    /// Compress hypertable chunks older than this (nil: no compression). Must exceed the
    /// aggregation's maximum lateness plus a flush interval, so flushes rarely touch compressed
    /// chunks (they still work there, only slower).
    public var compressAfter: String? = "14 days"
    /// Drop hourly chunks older than this (nil: keep forever). Daily and monthly rollups are
    /// billing records and are never dropped by meterd.
    public var hourlyRetention: String? = nil

    public init() {}
}
