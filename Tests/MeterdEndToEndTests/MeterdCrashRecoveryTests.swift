import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Crash recovery with the write-ahead log (docs/durability.md): the real binary, the real
/// PostgreSQL, SIGKILL. Every event meterd took (and logged durably) before the kill is in the
/// rollups exactly once after a restart: none lost, none doubled.
@Suite(.serialized)
struct MeterdCrashRecoveryTests {
    static let tenant = "crash"

    /// Sends `count` counter events (0.5 each) over TCP, spread over several (tenant, metric)
    /// pairs so every shard logs, and waits until meterd accepted them and the WAL is durable
    /// past them (only then is a SIGKILL sure not to lose them: they are not acknowledged).
    static func send(_ daemon: DaemonProcess, count: Int, acceptedBefore: Int) throws {
        let lines = (0..<count).map { "crash.m\($0 % 5):0.5|c|#tenant:\(tenant),k:k\($0 % 3)\n" }.joined()
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), lines)
        try daemon.poll(timeout: 20, what: "events accepted") {
            try daemon.metric("meterd_events_accepted_total") == Double(acceptedBefore + count)
        }
        try waitDurable(daemon)
    }

    static func waitDurable(_ daemon: DaemonProcess) throws {
        try daemon.poll(timeout: 10, what: "WAL durable") {
            guard let durable = try daemon.metric("meterd_wal_durable_lsn"),
                  let appended = try daemon.metric("meterd_wal_appended_lsn") else { return false }
            return durable >= appended
        }
    }

    static func kill9(_ daemon: DaemonProcess) {
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
    }

    /// Events and exact sum of the tenant's counters in each rollup table.
    static func totals(_ connection: PostgresConnection) throws -> [String] {
        try ["usage_hourly", "usage_daily", "usage_monthly"].map { table in
            let result = try connection.execute(
                "SELECT coalesce(sum(events), 0)::text AS e, coalesce(sum(sum), 0)::text AS s FROM meterd.\(table) WHERE tenant = $1",
                parameters: [tenant])
            return "\(result[0, "e"] ?? "?")/\(Decimal(string: result[0, "s"] ?? "") ?? -1)"
        }
    }

    static func expected(events: Int) -> [String] {
        Array(repeating: "\(events)/\(Decimal(events) / 2)", count: 3)
    }

    static func makeDataDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-crash-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// One kill with nothing flushed: the restart replays everything, the clean stop commits it.
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func killBeforeAnyFlushLosesNothingAndCountsNothingTwice() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try Self.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let arguments = ["--postgres", url, "--data-dir", data.path]
            let first = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            try Self.send(first, count: 1_000, acceptedBefore: 0)
            Self.kill9(first)
            // Nothing flushed (the schema itself may not be migrated yet).
            #expect(((try? Self.totals(try connect())) ?? Self.expected(events: 0)) == Self.expected(events: 0))

            let second = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 20)
            #expect(try second.metric("meterd_wal_replayed_events_total") == 1_000)
            #expect(try second.terminate() == 0)
            #expect(second.stderr.contains("WAL replayed"))
            #expect(try Self.totals(try connect()) == Self.expected(events: 1_000))

            // The clean stop committed every position: the next start has nothing to replay.
            let third = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { third.stop() }
            try third.waitUntilReady()
            #expect(try third.terminate() == 0)
            #expect(third.stderr.contains("nothing to replay"))
            #expect(try Self.totals(try connect()) == Self.expected(events: 1_000))
        }
    }

    /// A new, empty data directory while PostgreSQL holds this instance's WAL positions (the
    /// directory was wiped or replaced): meterd refuses to start (exit 78, EX_CONFIG) instead of
    /// starting a log whose positions restart at 0. Under a new instance name it starts.
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func aReplacedDataDirectoryIsRefused() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let instance = ["METERD_INSTANCE": "wiped-\(UUID().uuidString.prefix(8))"]
            let data = try Self.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let first = try DaemonProcess(arguments: ["--postgres", url, "--data-dir", data.path], flushInterval: "3600",
                                          unix: false, environment: instance)
            defer { first.stop() }
            try first.waitUntilReady()
            try Self.send(first, count: 100, acceptedBefore: 0)
            #expect(try first.terminate() == 0)
            #expect(try Self.totals(try connect()) == Self.expected(events: 100))

            // DaemonProcess's own, new data directory; same database and instance name.
            let replaced = try DaemonProcess(arguments: ["--postgres", url], flushInterval: "3600", unix: false, environment: instance)
            defer { replaced.stop() }
            let deadline = Date().addingTimeInterval(20)
            while replaced.process.isRunning && Date() < deadline { usleep(20_000) }
            #expect(!replaced.process.isRunning)
            #expect(replaced.process.terminationStatus == 78)
            #expect(replaced.stderr.contains("the data directory was wiped or replaced"))

            let renamed = try DaemonProcess(arguments: ["--postgres", url], flushInterval: "3600", unix: false,
                                            environment: ["METERD_INSTANCE": "renamed-\(UUID().uuidString.prefix(8))"])
            defer { renamed.stop() }
            try renamed.waitUntilReady(timeout: 20)
            #expect(try renamed.terminate() == 0)
        }
    }

    /// Five kills, with events between them and flushes every 0.2 s (so each kill lands between
    /// commits, with part of the log committed and part not), alternating with runs that do
    /// not flush at all; then a clean stop. The totals are exact.
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func repeatedKillsLoseNothingAndCountNothingTwice() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try Self.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let arguments = ["--postgres", url, "--data-dir", data.path]
            var sent = 0
            for kill in 0..<5 {
                let daemon = try DaemonProcess(arguments: arguments, flushInterval: kill % 2 == 0 ? "0.2" : "3600", unix: false)
                defer { daemon.stop() }
                try daemon.waitUntilReady(timeout: 20)
                var accepted = 0
                for burst in 0..<3 {
                    let count = 200 + 37 * kill + 11 * burst
                    try Self.send(daemon, count: count, acceptedBefore: accepted)
                    accepted += count
                    sent += count
                    usleep(UInt32.random(in: 50_000...250_000))
                }
                Self.kill9(daemon)
            }
            let last = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
            defer { last.stop() }
            try last.waitUntilReady(timeout: 20)
            #expect(try last.terminate() == 0)
            #expect(try Self.totals(try connect()) == Self.expected(events: sent))
            let checkpoints = try connect().execute("SELECT count(*)::text AS n FROM meterd.wal_checkpoints")
            #expect(checkpoints[0, "n"] == "2")  // one row per shard (DaemonProcess runs 2)
        }
    }

    /// After a clean stop every position is committed, so a restart with PostgreSQL unreachable
    /// need not read PostgreSQL's checkpoint: the WAL start-up goes on at once. (The saved
    /// idempotency keys would make it wait: `dedup.require_saved_ids` is off here, see
    /// `MeterdPostgresOutageTests.startUpWaitsForTheSavedIdempotencyKeys`.)
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func cleanRestartWithPostgresUnreachableStartsAtOnce() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try Self.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let first = try DaemonProcess(arguments: ["--postgres", url, "--data-dir", data.path], flushInterval: "3600", unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            try Self.send(first, count: 300, acceptedBefore: 0)
            #expect(try first.terminate() == 0)
            #expect(try Self.totals(try connect()) == Self.expected(events: 300))

            let unreachable = "postgresql://meterd@127.0.0.1:\(try TestSockets.freePort())/meterd"
            let second = try DaemonProcess(arguments: ["--postgres", unreachable, "--data-dir", data.path,
                                                       "--set", "dedup.require_saved_ids=false"], flushInterval: "3600", unix: false)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 5)
            #expect(second.stderr.contains("nothing to replay"))
        }
    }
}

/// A WAL meterd must not start over: corruption that is not a torn tail, or a log that ends
/// before the checkpoint (replaced or truncated). meterd exits 65 with the reason.
@Suite struct MeterdWALRefusalTests {
    static func runUntilExit(data: URL) throws -> (status: Int32, stderr: String) {
        let daemon = try DaemonProcess(arguments: ["--data-dir", data.path], flushInterval: "3600", unix: false)
        defer { daemon.stop() }
        let deadline = Date().addingTimeInterval(10)
        while daemon.process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!daemon.process.isRunning)
        return (daemon.process.terminationStatus, daemon.stderr)
    }

    @Test func corruptSegmentExitsWithTheReason() throws {
        let data = try MeterdCrashRecoveryTests.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let wal = data.appendingPathComponent("wal")
        try FileManager.default.createDirectory(at: wal, withIntermediateDirectories: true)
        // Two segments: the first (not the last, so not a torn tail) is garbage.
        try Data(repeating: 0xA5, count: 4096).write(to: wal.appendingPathComponent("00000000000000000000.seg"))
        try Data(repeating: 0, count: 4096).write(to: wal.appendingPathComponent("00000000000000004096.seg"))
        let (status, stderr) = try Self.runUntilExit(data: data)
        #expect(status == 65)
        #expect(stderr.contains("cannot open the WAL"))
    }

    @Test func checkpointBeyondTheLogExitsWithTheReason() throws {
        let data = try MeterdCrashRecoveryTests.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let wal = data.appendingPathComponent("wal")
        try FileManager.default.createDirectory(at: wal, withIntermediateDirectories: true)
        try Data("0 999999\n1 999999\n".utf8).write(to: wal.appendingPathComponent("checkpoint"))
        let (status, stderr) = try Self.runUntilExit(data: data)
        #expect(status == 65)
        #expect(stderr.contains("cannot replay the WAL"))
    }
}

/// A kill with unflushed events while PostgreSQL is down: the restart must not guess which
/// events PostgreSQL holds, so it waits (not ready) until it can read the checkpoint, then
/// replays exactly the rest.
@Suite(.serialized, .enabled(if: PrivatePostgres.shouldRun, "no PostgreSQL server binaries (run scripts/install-deps.sh)"))
struct MeterdCrashRecoveryOutageTests {
    @Test func restartAfterAKillWaitsForPostgresThenReplays() throws {
        let postgres = try PrivatePostgres()
        defer { postgres.remove() }
        try postgres.start()
        let data = try MeterdCrashRecoveryTests.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let arguments = ["--postgres", postgres.url, "--data-dir", data.path]
        let first = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
        defer { first.stop() }
        try first.waitUntilReady()
        try MeterdCrashRecoveryTests.send(first, count: 400, acceptedBefore: 0)
        try first.poll(timeout: 20, what: "first flush") {
            (try? MeterdCrashRecoveryTests.totals(try PostgresConnection(connectionString: postgres.url)))
                == MeterdCrashRecoveryTests.expected(events: 400)
        }
        try postgres.stop()
        try MeterdCrashRecoveryTests.send(first, count: 250, acceptedBefore: 400)
        MeterdCrashRecoveryTests.kill9(first)

        let second = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
        defer { second.stop() }
        usleep(1_500_000)
        #expect(second.process.isRunning)
        #expect((try? TestSockets.get(port: second.httpPort, "/readyz").status) == nil)
        #expect(second.stderr.contains("waiting for PostgreSQL"))
        try postgres.start()
        try second.waitUntilReady(timeout: 30)
        #expect(try second.terminate(timeout: 15) == 0)
        #expect(try MeterdCrashRecoveryTests.totals(try PostgresConnection(connectionString: postgres.url))
                == MeterdCrashRecoveryTests.expected(events: 650))
    }
}
