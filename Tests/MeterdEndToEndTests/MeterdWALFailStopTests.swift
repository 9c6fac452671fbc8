import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Fail-stop on a WAL I/O error, with the real binary and a real fault: the data directory on
/// a 1 MiB tmpfs, so creating the fourth WAL segment fails with ENOSPC. meterd logs a
/// `critical` line naming the error and exits 74; after making room, a restart on the same
/// data directory replays the log, and every event acknowledged `durable=yes` before the
/// failure is in PostgreSQL exactly once.
@Suite(.serialized)
struct MeterdWALFailStopTests {
    static let tenant = "failstop"

    /// Events per metric (one metric per round) of the tenant, from the monthly rollups.
    static func eventsByMetric(_ connection: PostgresConnection) throws -> [String: Int] {
        let result = try connection.execute(
            "SELECT metric, sum(events)::text AS e FROM meterd.usage_monthly WHERE tenant = $1 GROUP BY metric",
            parameters: [tenant])
        var events: [String: Int] = [:]
        for row in result.rows.indices {
            events[result[row, "metric"] ?? "?"] = Int(result[row, "e"] ?? "") ?? -1
        }
        return events
    }

    @Test(.enabled(if: TinyFileSystem.canMount, "not root: cannot mount the tmpfs this test fills (run the tests as root, as CI does)"),
          .enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func enospcOnTheWALStopsMeterdAndLosesNothingAcknowledged() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let disk = try TinyFileSystem(bytes: 1 << 20)
            defer { disk.remove() }
            // A WAL limit far above the disk: segments pile up (no flush releases them) until
            // the disk is full.
            var environment = TinyWAL.environment
            environment["METERD_WAL_MAX_BYTES"] = String(64 << 20)
            let arguments = ["--postgres", url, "--data-dir", disk.path]
            let daemon = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false, environment: environment)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            let fd = try TestSockets.connectTCP(port: daemon.tcpPort)
            defer { close(fd) }
            var acknowledged: [String: Int] = [:]
            var sent: [String: Int] = [:]
            for round in 0..<200 where daemon.process.isRunning {
                let metric = "failstop.r\(round)"
                let lines = (0..<400).map { "\(metric):1|c|#tenant:\(Self.tenant),k:k\($0 % 4),pad:\(String(repeating: "f", count: 40))" }
                sent[metric] = lines.count
                guard let answer = try? SyncAnswer.exchange(fd, lines: lines, token: "r\(round)", timeout: 10) else { break }
                if answer.durable {
                    #expect(answer.accepted == 400, "\(answer)")
                    acknowledged[metric] = answer.accepted
                }
            }
            try #require(!acknowledged.isEmpty)
            let deadline = Date().addingTimeInterval(20)
            while daemon.process.isRunning && Date() < deadline { usleep(20_000) }
            try #require(!daemon.process.isRunning, "meterd still running after filling its disk")
            #expect(daemon.process.terminationStatus == 74)
            let critical = daemon.stderr.split(separator: "\n").filter { $0.contains("critical") && $0.contains("fail-stop") }
            #expect(critical.contains { $0.contains("ENOSPC") }, "\(daemon.stderr)")
            // (/readyz turns 503 right before the exit, too briefly for a probe to see it.)

            // Room again: the restart replays the log into PostgreSQL.
            try disk.resize(bytes: 16 << 20)
            let second = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false, environment: environment)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 30)
            #expect(try second.terminate(timeout: 15) == 0)
            let stored = try Self.eventsByMetric(try connect())
            for (metric, events) in acknowledged {
                #expect(stored[metric] == events, "acknowledged \(metric)")
            }
            // Unacknowledged rounds: whatever reached the disk, never more than was sent.
            for (metric, events) in stored {
                #expect(events <= sent[metric] ?? 0, "\(metric)")
            }
        }
    }
}
