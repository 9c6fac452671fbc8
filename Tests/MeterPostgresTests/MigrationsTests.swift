import Foundation
import MeterPostgres
import Synchronization
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct MigrationsTests {
    @Test func applyingTwiceIsIdempotent() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            let all = Migrations.all.map(\.version)
            #expect(try Migrations.apply(on: connection) == all)
            #expect(try Migrations.apply(on: connection) == [])
            #expect(try Migrations.appliedVersions(on: connection) == all)
            let tables = try connection.execute("""
                SELECT table_name FROM information_schema.tables WHERE table_schema = 'meterd' ORDER BY table_name
                """).rows.map { $0[0] }
            #expect(tables == ["alert_deliveries", "alerts_fired", "billing_accounts", "dedup_ids", "flush_checkpoints", "plan_features",
                               "plan_metrics", "plans", "schema_migrations", "set_members", "subscription_events", "subscriptions",
                               "usage_daily", "usage_hourly", "usage_monthly", "wal_checkpoints"])
            // No TimescaleDB here: the note says which path was taken.
            let note = try connection.execute("SELECT note FROM meterd.schema_migrations WHERE version = 2").rows[0][0]
            #expect(note?.hasPrefix("plain tables") == true)
        }
    }

    /// Two instances starting at once: both succeed, each version is applied exactly once.
    @Test func concurrentRunsFromTwoConnectionsBothSucceed() throws {
        try TestDatabase.withFreshDatabase { connect in
            let first = try connect(), second = try connect()
            let outcomes = Mutex<[Result<[Int], PostgresError>]>([])
            let done = DispatchSemaphore(value: 0)
            for connection in [first, second] {
                nonisolated(unsafe) let owned = connection  // handed to exactly one thread
                Thread {
                    let outcome = Result { try Migrations.apply(on: owned) }.mapError { $0 as! PostgresError }
                    outcomes.withLock { $0.append(outcome) }
                    done.signal()
                }.start()
            }
            done.wait()
            done.wait()
            let results = try outcomes.withLock { try $0.map { try $0.get() } }
            #expect(results.sorted { $0.count < $1.count } == [[], Migrations.all.map(\.version)])
            #expect(try Migrations.appliedVersions(on: first) == Migrations.all.map(\.version))
        }
    }
}
