import Foundation
import MeterCore
import MeterPlans
import MeterPostgres
import Synchronization
import Testing

/// A real PostgreSQL for the subscription tests: `METERD_TEST_POSTGRES_URL`, exported by
/// `scripts/test.sh`. Without it the tests are skipped, never faked.
enum SubscriptionTestDatabase {
    static let url = ProcessInfo.processInfo.environment["METERD_TEST_POSTGRES_URL"]
    static var isConfigured: Bool { url?.isEmpty == false }
    static let skipMessage: Comment = "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh for the PostgreSQL integration tests"

    private static let counter = Atomic<Int>(0)

    /// The brief's plans (docs/plans.md): starter 299/2990, professional 799/7990, enterprise by contract.
    static let catalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "starter", name: "Starter", pricing: .list(monthly: Money("299")!, annual: Money("2990")!)),
        Plan(id: "professional", name: "Professional", pricing: .list(monthly: Money("799")!, annual: Money("7990")!)),
        Plan(id: "enterprise", name: "Enterprise", pricing: .contract),
        Plan(id: "enterprise-plus", name: "Enterprise Plus", pricing: .contract),
    ])

    /// Runs `body` on a connection to a fresh, migrated database holding `catalog` (the meterd
    /// role has CREATEDB, so parallel tests never share a schema); drops it afterwards.
    static func withStore<T>(_ body: (_ connection: PostgresConnection) throws -> T) throws -> T {
        let url = try #require(url)
        let name = "meterd_billing_\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(connectionString: url)
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        let connection = try PostgresConnection(connectionString: url, overrides: [("dbname", name)])
        try Migrations.apply(on: connection)
        try PlanStore(connection: connection).seed(catalog)
        return try body(connection)
    }
}

/// Unix seconds of a UTC date and time.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
    CivilTime(year: year, month: month, day: day, secondOfDay: hour * 3600 + minute * 60).unixSeconds
}

/// The message of the `PostgresError` `body` throws (nil when it throws none or another error).
func refusal(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as PostgresError {
        return error.message
    } catch {
        return nil
    }
}
