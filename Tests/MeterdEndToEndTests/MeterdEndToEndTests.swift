import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Starts the built `meterd` binary and talks to it over its real sockets.
@Suite(.timeLimit(.minutes(1)))
struct MeterdEndToEndTests {
    @Test func linesOverUDPTCPAndUnixAreCountedExactlyAndRefusalsByReason() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        // TCP: 1000 counters of 1.25, a duplicate pair, and one refusal of each kind.
        var tcp = String(repeating: "ai.tokens:1.25|c|#tenant:e2e,model:m1\n", count: 1_000)
        tcp += "api.calls:1|c|#tenant:e2e,id:req-1\napi.calls:1|c|#tenant:e2e,id:req-1\n"
        tcp += "api.latency:12|ms|#tenant:e2e\n"           // unsupported_type
        tcp += "sms.sent:1|c|@0.5|#tenant:e2e\n"             // sample_rate
        tcp += "sms.sent:1|c\n"                              // missing_tenant
        tcp += String(repeating: "x", count: 2_000) + "\n"   // line_too_long (framer)
        tcp += "ai.tokens:0.000001|c|#tenant:e2e,model:m1"   // unterminated final line: counted at close
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), tcp)

        // UDP: 20 datagrams of 5 lines, one refusal.
        let datagram = String(repeating: "sms.sent:1|c|#tenant:e2e\n", count: 5)
        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: Array(repeating: datagram, count: 20) + ["sms.sent:-1|c|#tenant:e2e"])

        // Unix stream: gauges and a set with two distinct members.
        try TestSockets.sendAndClose(try TestSockets.connectUnix(path: daemon.unixPath), """
            storage.gb:10|g|#tenant:e2e
            storage.gb:30|g|#tenant:e2e
            seats:provider-1|s|#tenant:e2e
            seats:provider-2|s|#tenant:e2e
            seats:provider-1|s|#tenant:e2e

            """)

        try daemon.poll(what: "all lines received and aggregated") {
            try daemon.metric("meterd_events_accepted_total") == 1_000 + 1 + 1 + 100 + 5
                && daemon.metric(#"meterd_events_duplicate_total"#) == 1
        }
        #expect(try daemon.metric(#"meterd_events_received_total{transport="tcp"}"#) == 1_007)
        #expect(try daemon.metric(#"meterd_events_received_total{transport="udp"}"#) == 101)
        #expect(try daemon.metric(#"meterd_events_received_total{transport="unix"}"#) == 5)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="unsupported_type"}"#) == 1)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="sample_rate"}"#) == 1)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="missing_tenant"}"#) == 1)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="line_too_long"}"#) == 1)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="udp",reason="negative_counter"}"#) == 1)
        #expect(try daemon.metric(#"meterd_ring_dropped_total{reason="ring_full"}"#) == 0)

        // The flusher writes every 0.1 s; wait for the last events to reach the sink.
        var rows = try RollupRows(json: "{}")
        try daemon.poll(what: "rollups flushed") {
            rows = try RollupRows(json: TestSockets.get(port: daemon.httpPort, "/debug/rollups?tenant=e2e").body)
            return rows.month("ai.tokens")?.events == 1_001 && rows.month("sms.sent")?.events == 100
                && rows.month("seats")?.events == 3 && rows.month("storage.gb")?.events == 2
                && rows.month("api.calls")?.events == 1
        }
        #expect(rows.month("ai.tokens")?.fields["sum"] as? String == "1250.000001")
        #expect(rows.month("sms.sent")?.fields["sum"] as? String == "100")
        #expect(rows.month("api.calls")?.fields["sum"] as? String == "1")
        #expect(rows.month("seats")?.fields["unique"] as? Int == 2)
        #expect(rows.month("storage.gb")?.fields["min"] as? String == "10")
        #expect(rows.month("storage.gb")?.fields["max"] as? String == "30")
        #expect(rows.month("storage.gb")?.fields["latest"] as? String == "30")
        #expect(rows.rows.filter { $0.metric == "ai.tokens" }.map(\.grain).sorted() == ["day", "hour", "month"])

        #expect(try daemon.terminate() == 0)
    }

    @Test func aDatagramCutByTheKernelCountsItsCompleteLinesAndRefusesTheRest() throws {
        let daemon = try DaemonProcess(unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let line = "sms.sent:1|c|#tenant:trunc\n"  // 27 bytes
        // 16383 bytes, the longest taken whole: 605 lines + one of 48 bytes without a newline.
        let exact = String(repeating: line, count: 605) + "sms.sent:1|c|#tenant:trunc,m:" + String(repeating: "a", count: 19)
        #expect(exact.utf8.count == 16_383)
        // 20,250 bytes: the kernel keeps 16384, i.e. 606 whole lines; the 607th is cut.
        let long = String(repeating: line, count: 750)
        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: [exact, long])
        try daemon.poll(what: "both datagrams counted") {
            try daemon.metric("meterd_events_accepted_total") == 606 + 606
                && daemon.metric(#"meterd_events_refused_total{transport="udp",reason="datagram_truncated"}"#) == 1
        }
        #expect(try daemon.metric(#"meterd_events_received_total{transport="udp"}"#) == 606 + 607)
        #expect(try daemon.terminate() == 0)
    }

    @Test func sigtermDrainsFlushesOnceMoreAndExitsZero() throws {
        // A flush interval of an hour: only the shutdown flush can write these events.
        let daemon = try DaemonProcess(arguments: ["--debug-print-rollups"], flushInterval: "3600", unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let lines = String(repeating: "sms.sent:2|c|#tenant:bye\n", count: 500)
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), lines)
        try daemon.poll(what: "events aggregated") { try daemon.metric("meterd_events_accepted_total") == 500 }
        let before = try RollupRows(json: TestSockets.get(port: daemon.httpPort, "/debug/rollups?tenant=bye").body)
        #expect(before.rows.isEmpty)

        #expect(try daemon.terminate() == 0)
        let printed = daemon.stdout.split(separator: "\n").first { $0.contains(#""tenant":"bye""#) }
        let after = try RollupRows(json: String(printed ?? ""))
        #expect(after.month("sms.sent")?.events == 500)
        #expect(after.month("sms.sent")?.fields["sum"] as? String == "1000")
        #expect(daemon.stderr.contains("final flush"))
        #expect(daemon.stderr.contains("flush.complete=true"))
    }

    @Test func healthAndReadinessAndUnknownPaths() throws {
        let daemon = try DaemonProcess(unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        #expect(try TestSockets.get(port: daemon.httpPort, "/healthz").status == 200)
        #expect(try TestSockets.get(port: daemon.httpPort, "/nope").status == 404)
        #expect(try TestSockets.get(port: daemon.httpPort, "/debug/rollups").status == 400)
        let metrics = try TestSockets.get(port: daemon.httpPort, "/metrics").body
        for name in ["meterd_ring_occupancy_bytes{shard=\"1\"}", "meterd_series{shard=\"0\"}", "meterd_flush_lag_seconds",
                     "meterd_flush_seconds_count", "meterd_events_accepted_total"] {
            #expect(metrics.contains(name), "missing \(name)")
        }
        #expect(try daemon.terminate() == 0)
    }

    @Test(arguments: [
        (["--udp", "localhost"], "--udp"),
        (["--tcp", "127.0.0.1:99999"], "--tcp"),
        (["--http", ":80"], "--http"),
        (["--flush-interval", "0"], "--flush-interval"),
        (["--flush-interval", "soon"], "--flush-interval"),
        (["--shards", "0"], "--shards"),
        (["--postgres", ""], "--postgres"),
        (["--redis", " "], "--redis"),
        (["--data-dir", ""], "--data-dir"),
    ])
    func badFlagsFailAtStartUpNamingTheFlag(arguments: [String], flag: String) throws {
        let (exit, message) = try DaemonProcess.runUntilExit(arguments)
        #expect(exit == 64)
        #expect(message.contains(flag), "\(message)")
    }
}
