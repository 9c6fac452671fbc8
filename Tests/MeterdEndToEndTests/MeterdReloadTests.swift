import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP against the real binary: the config file is re-read, the reloadable keys take effect
/// without a restart, the others are named, and a bad file changes nothing.
@Suite(.timeLimit(.minutes(1)))
struct MeterdReloadTests {
    @Test func sighupAppliesNewLimitsFlushIntervalAndLogLevelAndNamesRestartOnlyKeys() throws {
        let file = try MeterdConfigTests.ConfigFile("""
            flush_interval: 3600
            log_level: info
            limits:
              max_series_per_tenant: 1
            """)
        defer { file.remove() }
        let notify = try NotifySocket()
        defer { notify.close() }
        let daemon = try DaemonProcess(arguments: ["--config", file.path], flushInterval: nil, unix: false,
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": nil])
        defer { daemon.stop() }
        try notify.wait(for: "READY=1", daemon: daemon)

        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), "m1:1|c|#tenant:hup\nm2:1|c|#tenant:hup\n")
        try daemon.poll(what: "the per-tenant limit of 1") {
            try daemon.metric(#"meterd_events_refused_total{transport="aggregator",reason="tenant_series_limit"}"#) == 1
        }
        #expect(try daemon.metric("meterd_flush_seconds_count") ?? 0 == 0)  // an hour between flushes

        try Data("""
            flush_interval: 0.1
            log_level: debug
            limits:
              max_series_per_tenant: 3
            protocol:
              max_line_bytes: 512
            """.utf8).write(to: URL(fileURLWithPath: file.path))
        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.poll(what: "the reload logged") { daemon.stderr.contains("configuration reloaded") }
        let line = try #require(daemon.stderr.split(separator: "\n").first { $0.contains("configuration reloaded") })
        #expect(line.contains("limits.max_series_per_tenant") && line.contains("flush_interval") && line.contains("log_level"))
        #expect(line.contains("restart_needed_for=[\"protocol.max_line_bytes\"]"), "\(line)")
        #expect(line.contains("warning"))
        // systemd heard the reload begin and end.
        try notify.wait(for: "READY=1", count: 2, daemon: daemon)
        #expect(notify.received.contains { $0.hasPrefix("RELOADING=1") })

        // The new limit admits two more series; the new interval flushes; debug lines appear.
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), "m2:1|c|#tenant:hup\nm3:1|c|#tenant:hup\n")
        try daemon.poll(what: "events accepted under the new limit and flushed") {
            try daemon.metric("meterd_events_accepted_total") == 3 && daemon.metric("meterd_flush_seconds_count") ?? 0 >= 1
        }
        try daemon.poll(what: "debug lines after the reload") { daemon.stderr.contains(" debug ") }
        #expect(try daemon.metric(#"meterd_config_reloads_total{result="applied"}"#) == 1)
        #expect(try daemon.terminate() == 0)
    }

    @Test func aBadFileOnReloadChangesNothingAndTheDaemonKeepsRunning() throws {
        let file = try MeterdConfigTests.ConfigFile("limits.max_series_per_tenant: 1\n")
        defer { file.remove() }
        let daemon = try DaemonProcess(arguments: ["--config", file.path], unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        try Data("limits.max_series_per_tenant: 5\nlimits.max_seris: 9\n".utf8).write(to: URL(fileURLWithPath: file.path))
        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.poll(what: "the failed reload logged") { daemon.stderr.contains("configuration reload failed") }
        #expect(daemon.stderr.contains("limits.max_seris"))
        #expect(try daemon.metric(#"meterd_config_reloads_total{result="failed"}"#) == 1)

        // Still running with the old limit of 1 series per tenant.
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), "a:1|c|#tenant:bad\nb:1|c|#tenant:bad\n")
        try daemon.poll(what: "the old limit still enforced") {
            try daemon.metric("meterd_events_accepted_total") == 1
                && daemon.metric(#"meterd_events_refused_total{transport="aggregator",reason="tenant_series_limit"}"#) == 1
        }
        #expect(try daemon.terminate() == 0)
    }
}
