import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Deduplication across restarts (docs/dedup.md "Restarts"): the real binary with PostgreSQL
/// and a data directory. Events with ids are flushed, meterd stops (SIGTERM or SIGKILL), and
/// the same ids sent again after the restart are answered as duplicates and not counted.
@Suite(.serialized)
struct MeterdDedupRestartTests {
    static let tenant = MeterdCrashRecoveryTests.tenant

    static func lines(_ ids: Range<Int>) -> String {
        ids.map { "crash.m\($0 % 5):0.5|c|#tenant:\(tenant),k:k\($0 % 3),id:req-\($0)\n" }.joined()
    }

    /// Sends `ids`' events and waits until meterd answered `accepted` and `duplicates` in all.
    static func send(_ daemon: DaemonProcess, _ ids: Range<Int>, accepted: Int, duplicates: Int) throws {
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), lines(ids))
        try daemon.poll(timeout: 20, what: "events answered") {
            try daemon.metric("meterd_events_accepted_total") == Double(accepted)
                && daemon.metric("meterd_events_duplicate_total") ?? 0 == Double(duplicates)
        }
        try MeterdCrashRecoveryTests.waitDurable(daemon)
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func duplicateIdsAcrossACleanRestartAreCountedOnce() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try MeterdCrashRecoveryTests.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let arguments = ["--postgres", url, "--data-dir", data.path]
            let first = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            try Self.send(first, 0..<300, accepted: 300, duplicates: 0)
            #expect(try first.terminate() == 0)
            #expect(try MeterdCrashRecoveryTests.totals(try connect()) == MeterdCrashRecoveryTests.expected(events: 300))
            #expect(try connect().execute("SELECT count(*)::text AS n FROM meterd.dedup_ids")[0, "n"] == "300")

            let second = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 20)
            #expect(second.stderr.contains("idempotency keys loaded"))
            try Self.send(second, 0..<400, accepted: 100, duplicates: 300)
            #expect(try second.terminate() == 0)
            #expect(try MeterdCrashRecoveryTests.totals(try connect()) == MeterdCrashRecoveryTests.expected(events: 400))
            #expect(try connect().execute("SELECT count(*)::text AS n FROM meterd.dedup_ids")[0, "n"] == "400")
        }
    }

    /// Kill -9 after a flush, with more events logged but perhaps not flushed; after the
    /// restart (which replays what no commit covers) every earlier id is retried: none counted.
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func retriedIdsAfterAKillAreCountedOnce() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try MeterdCrashRecoveryTests.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let arguments = ["--postgres", url, "--data-dir", data.path]
            let first = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            try Self.send(first, 0..<300, accepted: 300, duplicates: 0)
            try first.poll(timeout: 20, what: "first flush") {
                (try? MeterdCrashRecoveryTests.totals(try connect())) == MeterdCrashRecoveryTests.expected(events: 300)
            }
            try Self.send(first, 250..<400, accepted: 400, duplicates: 50)
            MeterdCrashRecoveryTests.kill9(first)

            let second = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 20)
            try Self.send(second, 0..<450, accepted: 50, duplicates: 400)
            #expect(try second.terminate() == 0)
            #expect(try MeterdCrashRecoveryTests.totals(try connect()) == MeterdCrashRecoveryTests.expected(events: 450))
        }
    }
}
