import Foundation
import MeterPostgres
import Testing

/// The real binary flushing to the real PostgreSQL started by `scripts/test.sh`
/// (`METERD_TEST_POSTGRES_URL`); skipped, never faked, without it.
@Suite struct MeterdPostgresTests {
    static let url = ProcessInfo.processInfo.environment["METERD_TEST_POSTGRES_URL"]
    static var isConfigured: Bool { url?.isEmpty == false }

    /// A fresh database for one test (the meterd role has CREATEDB), dropped afterwards.
    static func withFreshDatabase<T>(_ body: (_ url: String, _ connect: () throws -> PostgresConnection) throws -> T) throws -> T {
        let url = try #require(url)
        let name = "meterd_e2e_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(connectionString: url)
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        // libpq takes a later dbname over the URI's: a key/value string pointing at the fresh database.
        let target = "\(url.contains("?") ? url + "&" : url + "?")dbname=\(name)"
        return try body(target) { try PostgresConnection(connectionString: url, overrides: [("dbname", name)]) }
    }

    @Test(.enabled(if: isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func rollupsReachPostgreSQLExactlyAndSurviveARestart() throws {
        try Self.withFreshDatabase { url, connect in
            let daemon = try DaemonProcess(arguments: ["--postgres", url], unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            // With PostgreSQL the rows are not also kept in memory (that copy only grows).
            #expect(try TestSockets.get(port: daemon.httpPort, "/debug/rollups?tenant=pg-acme").status == 404)
            try TestSockets.sendUDP(port: daemon.udpPort, datagrams: [
                "ai.tokens:1000.25|c|#tenant:pg-acme,model:gpt-x\nai.tokens:0.75|c|#tenant:pg-acme,model:gpt-x,id:r1",
                "ai.tokens:0.75|c|#tenant:pg-acme,model:gpt-x,id:r1\nproviders.active:p-1|s|#tenant:pg-acme",
            ])
            let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
            try TestSockets.sendAndClose(tcp, "providers.active:p-2|s|#tenant:pg-acme\nproviders.active:p-1|s|#tenant:pg-acme\n")
            // Wait until meterd has taken every line before SIGTERM: under load (other e2e tests
            // running in parallel) the TCP bytes may not have been read yet when the signal lands.
            try daemon.poll(what: "events accepted") {
                try daemon.metric("meterd_events_accepted_total") == 5 && daemon.metric("meterd_events_duplicate_total") == 1
            }
            #expect(try daemon.terminate() == 0)

            let database = try connect()
            func month(_ metric: String) throws -> (sum: String?, events: String?, uniques: String?) {
                let result = try database.execute(
                    "SELECT sum::text, events::text, uniques::text FROM meterd.usage_monthly WHERE tenant = $1 AND metric = $2",
                    parameters: ["pg-acme", metric])
                #expect(result.rows.count == 1)
                return (result[0, "sum"], result[0, "events"], result[0, "uniques"])
            }
            let tokens = try month("ai.tokens")
            #expect(tokens.sum.map { Decimal(string: $0) } == Decimal(string: "1001"))
            #expect(tokens.events == "2")
            let seats = try month("providers.active")
            #expect(seats.uniques == "2")

            // A second run of the daemon with the same data directory: the set member p-1 seen
            // before the restart is not counted again, and the counter adds up.
            let again = try DaemonProcess(arguments: ["--postgres", url, "--data-dir", daemon.directory.path], unix: false)
            defer { again.stop() }
            try again.waitUntilReady()
            try TestSockets.sendUDP(port: again.udpPort, datagrams: [
                "providers.active:p-1|s|#tenant:pg-acme\nai.tokens:1|c|#tenant:pg-acme,model:gpt-x",
            ])
            try again.poll(what: "events accepted") { try again.metric("meterd_events_accepted_total") == 2 }
            #expect(try again.terminate() == 0)
            #expect(try month("providers.active").uniques == "2")
            #expect(try month("ai.tokens").sum.map { Decimal(string: $0) } == Decimal(string: "1002"))
            let checkpoints = try database.execute("SELECT count(*)::text AS n FROM meterd.flush_checkpoints")
            #expect(checkpoints[0, "n"] == "1")
        }
    }

    @Test(.enabled(if: isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func schemaIsMigratedAtStartUpBeforeAnyFlush() throws {
        try Self.withFreshDatabase { url, connect in
            // An hour between flushes: only start-up can have created the tables.
            let daemon = try DaemonProcess(arguments: ["--postgres", url], flushInterval: "3600", unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            let database = try connect()
            try daemon.poll(what: "the rollup tables created at start-up") {
                let tables = try database.execute(
                    "SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = 'meterd' AND tablename LIKE 'usage_%'")
                return tables[0, "n"] == "3"
            }
            // The flush writer's start-up connect logs this; the tables may already exist from
            // the dedup key load, which migrates first, so wait for the line itself.
            try daemon.poll(what: "the flush writer connected at start-up") { daemon.stderr.contains("PostgreSQL ready") }
            #expect(try daemon.metric("meterd_flush_seconds_count") ?? 0 == 0)
            #expect(try daemon.terminate() == 0)
        }
    }
}
