import Foundation
import MeterPostgres
import Testing

/// The real binary against a PostgreSQL the test stops and starts: nothing sent while the
/// database is down is lost or counted twice once it is back, and meterd keeps ingesting.
@Suite(.serialized, .enabled(if: PrivatePostgres.shouldRun, "no PostgreSQL server binaries (run scripts/install-deps.sh)"))
struct MeterdPostgresOutageTests {
    static let tenant = "outage"

    /// Events count and exact sum of the tenant's counter in each rollup table.
    static func totals(_ url: String) throws -> [String] {
        let connection = try PostgresConnection(connectionString: url)
        return try ["usage_hourly", "usage_daily", "usage_monthly"].map { table in
            let result = try connection.execute(
                "SELECT coalesce(sum(events), 0)::text AS e, coalesce(sum(sum), 0)::text AS s FROM meterd.\(table) WHERE tenant = $1",
                parameters: [tenant])
            return "\(result[0, "e"] ?? "?")/\(Decimal(string: result[0, "s"] ?? "") ?? -1)"
        }
    }

    static func expected(events: Int) -> [String] {
        Array(repeating: "\(events)/\(Decimal(events) * Decimal(string: "1.25")!)", count: 3)
    }

    /// Sends `count` counter events (1.25 each) over one TCP connection, numbered from `from`.
    static func send(_ daemon: DaemonProcess, from: Int, count: Int) throws {
        let lines = (from..<from + count).map { "outage.calls:1.25|c|#tenant:\(tenant),batch:b\($0 % 7)\n" }.joined()
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), lines)
        try daemon.poll(what: "events accepted") {
            try daemon.metric("meterd_events_accepted_total") == Double(from + count)
        }
    }

    static func waitForTotals(_ url: String, events: Int, daemon: DaemonProcess) throws {
        try daemon.poll(timeout: 40, what: "rollups in PostgreSQL") {
            (try? totals(url)) == expected(events: events)
        }
    }

    @Test func postgresStoppedMidRunLosesNothing() throws {
        let postgres = try PrivatePostgres()
        defer { postgres.remove() }
        try postgres.start()
        let daemon = try DaemonProcess(arguments: ["--postgres", postgres.url], unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        try Self.send(daemon, from: 0, count: 500)
        try Self.waitForTotals(postgres.url, events: 500, daemon: daemon)

        try postgres.stop()
        // Down: meterd keeps accepting, and the flush failures show in /metrics.
        try Self.send(daemon, from: 500, count: 700)
        try daemon.poll(what: "flush failures") {
            try (daemon.metric("meterd_flush_failures_total") ?? 0) >= 2
                && (daemon.metric("meterd_flush_consecutive_failures") ?? 0) >= 2
                && (daemon.metric("meterd_flush_pending_rows") ?? 0) > 0
        }
        try Self.send(daemon, from: 1_200, count: 300)
        #expect((try? TestSockets.get(port: daemon.httpPort, "/readyz").status) == 200)

        try postgres.start()
        try Self.waitForTotals(postgres.url, events: 1_500, daemon: daemon)
        try daemon.poll(what: "flush recovered") {
            try daemon.metric("meterd_flush_consecutive_failures") == 0 && daemon.metric("meterd_flush_pending_rows") == 0
        }
        #expect(try daemon.terminate() == 0)
        #expect(try Self.totals(postgres.url) == Self.expected(events: 1_500))
        // One line when the outage started, one when it ended; not one per retry.
        #expect(daemon.stderr.components(separatedBy: "flush failing").count == 2)
        #expect(daemon.stderr.components(separatedBy: "flush recovered").count == 2)
    }

    /// With `dedup.require_saved_ids: false` meterd starts while PostgreSQL is down (after one
    /// attempt to load the saved idempotency keys) and flushes once it is back.
    @Test func postgresDownAtStartUpComesUpLater() throws {
        let postgres = try PrivatePostgres()
        defer { postgres.remove() }
        try postgres.start()  // initdb, role and database
        try postgres.stop()
        let daemon = try DaemonProcess(arguments: ["--postgres", postgres.url, "--set", "dedup.require_saved_ids=false"], unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        #expect(daemon.stderr.contains("cannot load the persisted idempotency keys"))
        try Self.send(daemon, from: 0, count: 400)
        try daemon.poll(what: "flush failures") { try (daemon.metric("meterd_flush_failures_total") ?? 0) >= 2 }

        try postgres.start()
        try Self.waitForTotals(postgres.url, events: 400, daemon: daemon)
        try Self.send(daemon, from: 400, count: 100)
        try Self.waitForTotals(postgres.url, events: 500, daemon: daemon)
        #expect(try daemon.terminate() == 0)
        #expect(try Self.totals(postgres.url) == Self.expected(events: 500))
    }

    /// By default (`dedup.require_saved_ids: true`) start-up waits, not ready, until PostgreSQL
    /// answers and the saved idempotency keys are loaded: ids counted before the restart are
    /// duplicates afterwards even though PostgreSQL was down when meterd started.
    @Test func startUpWaitsForTheSavedIdempotencyKeys() throws {
        let postgres = try PrivatePostgres()
        defer { postgres.remove() }
        try postgres.start()
        let data = try MeterdCrashRecoveryTests.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let arguments = ["--postgres", postgres.url, "--data-dir", data.path]
        let first = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
        defer { first.stop() }
        try first.waitUntilReady(timeout: 20)
        try MeterdDedupRestartTests.send(first, 0..<300, accepted: 300, duplicates: 0)
        #expect(try first.terminate() == 0)  // the final flush commits the ids
        try postgres.stop()

        let second = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
        defer { second.stop() }
        try second.poll(timeout: 20, what: "the wait for PostgreSQL") {
            second.stderr.contains("waiting for PostgreSQL to load the saved idempotency keys")
        }
        usleep(500_000)
        #expect((try? TestSockets.get(port: second.httpPort, "/readyz").status) != 200)
        #expect(second.process.isRunning)

        try postgres.start()
        try second.waitUntilReady(timeout: 30)
        #expect(second.stderr.contains("idempotency keys loaded"))
        try MeterdDedupRestartTests.send(second, 0..<400, accepted: 100, duplicates: 300)
        #expect(try second.terminate() == 0)
        let connection = try PostgresConnection(connectionString: postgres.url)
        #expect(try MeterdCrashRecoveryTests.totals(connection) == MeterdCrashRecoveryTests.expected(events: 400))
    }
}
