import Foundation
import MeterAlerts
import MeterCore
import MeterPostgres
import Synchronization
import Testing

/// The real PostgreSQL and Redis of `scripts/test.sh` (`METERD_TEST_POSTGRES_URL`,
/// `METERD_TEST_REDIS_URL`); tests that need them are disabled without them, never faked.
enum TestServices {
    static let postgresURL = ProcessInfo.processInfo.environment["METERD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let redisURL = ProcessInfo.processInfo.environment["METERD_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var hasPostgres: Bool { postgresURL != nil }
    static var hasBoth: Bool { postgresURL != nil && redisURL != nil }
    static let skipMessage: Comment = "METERD_TEST_POSTGRES_URL / METERD_TEST_REDIS_URL unset: run scripts/test.sh"

    private static let counter = Atomic<Int>(0)

    /// A fresh database, migrated, for `body`; dropped afterwards.
    static func withFreshDatabase<T>(_ body: (_ connect: @escaping @Sendable () throws -> PostgresConnection) async throws -> T) async throws -> T {
        let url = try #require(postgresURL)
        let name = "meterd_alerts_\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(connectionString: url)
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        let connect: @Sendable () throws -> PostgresConnection = {
            try PostgresConnection(connectionString: url, overrides: [("dbname", name)])
        }
        try Migrations.apply(on: try connect())
        return try await body(connect)
    }

    /// A configuration for tests: short retries, no migrations (the test migrated).
    static func configuration(instance: String = "test-instance", horizon: Duration = .seconds(60)) -> AlertDispatcherConfiguration {
        var configuration = AlertDispatcherConfiguration(instance: instance)
        configuration.schedule = RetrySchedule(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200), horizon: horizon)
        configuration.schemaOptions = nil
        configuration.reconnectDelay = .milliseconds(100)
        return configuration
    }

    /// The outbox rows: alert id and sink -> (state, attempts, last_error).
    static func deliveries(_ connect: () throws -> PostgresConnection) throws -> [String: (state: String, attempts: Int, error: String?)] {
        let rows = try connect().execute("SELECT alert_id::text, sink, state, attempts, last_error FROM meterd.alert_deliveries").rows
        var result: [String: (state: String, attempts: Int, error: String?)] = [:]
        for row in rows { result["\(row[0]!)/\(row[1]!)"] = (row[2]!, Int(row[3]!)!, row[4]) }
        return result
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return try condition()
    }
}

/// Alerts of one tenant and metric in December 2026 against a quota of 1000.
func sampleAlert(_ level: AlertLevel, tenant: String = "acme", metric: String = "api.calls",
                 quota: Quantity = Quantity(whole: 1000)!) -> ThresholdAlert {
    ThresholdAlert(tenant: tenant, metric: metric, level: level, periodStart: 1_796_083_200, periodEnd: 1_798_761_600,
                   used: Quantity("\(level.rawValue * 10).5")!, quota: quota, crossedAtMilliseconds: 1_796_177_025_678)
}
