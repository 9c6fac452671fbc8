/// The schema migrations, applied by meterd at start-up.
///
/// `apply` is idempotent and safe when several instances start at once: everything runs in one
/// transaction that first takes `pg_advisory_xact_lock(Migrations.advisoryLockKey)`, so a second
/// instance waits, then finds every version recorded in `meterd.schema_migrations` and applies
/// nothing. A failing migration rolls the whole run back.
public enum Migrations {
    /// The advisory lock key: "meterd" in ASCII. Advisory locks are per database.
    public static let advisoryLockKey: Int64 = 0x6D65_7465_7264

    /// Every migration, in version order.
    public static let all: [Migration] = [
        Migration(version: 1, name: "rollup tables, set members, flush checkpoints",
                  statements: SchemaSQL.version1),
        Migration(version: 2, name: "timescaledb hypertables when available",
                  apply: TimescaleSetup.convertToHypertables),
        Migration(version: 3, name: "rollup tables keep free space for HOT updates",
                  statements: SchemaSQL.version3),
        Migration(version: 4, name: "per-shard WAL checkpoints",
                  statements: WALCheckpointSQL.version4),
        Migration(version: 5, name: "persisted idempotency keys",
                  statements: DedupIDSQL.version5),
        Migration(version: 6, name: "plan catalog and subscriptions",
                  statements: PlanSQL.version6),
        Migration(version: 7, name: "threshold alerts: fired record and delivery outbox",
                  statements: AlertSQL.version7),
        Migration(version: 8, name: "overage rate models: tiered, volume, package",
                  statements: PlanRateSQL.version8),
        Migration(version: 9, name: "subscription lifecycle: cycle, trial, billing accounts, subscription events",
                  statements: SubscriptionLifecycleSQL.version9),
        Migration(version: 10, name: "billing: invoices, lines and their rollup sources, numbering, credit notes, coupons, tax rates",
                  statements: BillingSQL.version10),
    ]

    /// Applies the migrations `connection`'s database lacks; returns the versions applied now.
    @discardableResult
    public static func apply(on connection: PostgresConnection, options: SchemaOptions = SchemaOptions(),
                             migrations: [Migration] = Migrations.all) throws -> [Int] {
        precondition(migrations.map(\.version) == migrations.map(\.version).sorted()
                     && Set(migrations.map(\.version)).count == migrations.count,
                     "migration versions must be unique and ascending")
        return try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1::bigint)", parameters: [String(advisoryLockKey)])
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \(RollupTable.schema)")
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS \(RollupTable.schema).schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    note       text,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try connection.execute("SELECT version FROM \(RollupTable.schema).schema_migrations")
                .rows.compactMap { $0[0].flatMap { Int($0) } })
            var appliedNow: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                let note = try migration.apply(connection, options)
                try connection.execute(
                    "INSERT INTO \(RollupTable.schema).schema_migrations (version, name, note) VALUES ($1, $2, $3)",
                    parameters: [String(migration.version), migration.name, note])
                appliedNow.append(migration.version)
            }
            if try TimescaleSetup.isInstalled(on: connection) {
                try TimescaleSetup.applyPolicies(on: connection, options: options)
            }
            return appliedNow
        }
    }

    /// The versions recorded in the database, ascending.
    public static func appliedVersions(on connection: PostgresConnection) throws -> [Int] {
        try connection.execute("SELECT version FROM \(RollupTable.schema).schema_migrations ORDER BY version")
            .rows.compactMap { $0[0].flatMap { Int($0) } }
    }
}
