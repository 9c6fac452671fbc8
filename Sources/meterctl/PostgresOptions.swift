import ArgumentParser
import MeterPostgres

#if canImport(Glibc)
import Glibc
#endif

/// The database flag of the commands that work on PostgreSQL directly (billing and
/// subscriptions): they need no running meterd, so cron jobs can call them.
struct PostgresOptions: ParsableArguments {
    @Option(name: .customLong("postgres"),
            help: "libpq connection string or URL (default: $METERD_POSTGRES_URL, as meterd reads it).")
    var url: String?

    /// A connection with the migrations applied (idempotent), so a command run before the first
    /// meterd start still finds its tables.
    func connect() throws -> PostgresConnection {
        guard let target = url ?? getenv("METERD_POSTGRES_URL").map({ String(cString: $0) }), !target.isEmpty else {
            throw ValidationError("give --postgres URL or set METERD_POSTGRES_URL")
        }
        let connection = try PostgresConnection(connectionString: target, defaults: [("connect_timeout", "5")])
        try Migrations.apply(on: connection)
        return connection
    }
}
