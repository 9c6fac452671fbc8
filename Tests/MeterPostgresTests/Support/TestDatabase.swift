import Foundation
import MeterPostgres
import Synchronization
import Testing

/// A real PostgreSQL for integration tests: `METERD_TEST_POSTGRES_URL`, exported by
/// `scripts/test.sh`. Without it the tests are skipped, never faked.
enum TestDatabase {
    static let url = ProcessInfo.processInfo.environment["METERD_TEST_POSTGRES_URL"]
    static var isConfigured: Bool { url?.isEmpty == false }
    static let skipMessage: Comment = "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh for the PostgreSQL integration tests"

    private static let counter = Atomic<Int>(0)

    /// Creates a fresh database (the meterd role has CREATEDB), so tests running in parallel
    /// never share the `meterd` schema, runs `body` with a factory of connections to it, and
    /// drops it afterwards.
    static func withFreshDatabase<T>(_ body: (_ connect: () throws -> PostgresConnection) throws -> T) throws -> T {
        let url = try #require(url)
        let name = "meterd_test_\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(connectionString: url)
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        return try body { try PostgresConnection(connectionString: url, overrides: [("dbname", name)]) }
    }
}
