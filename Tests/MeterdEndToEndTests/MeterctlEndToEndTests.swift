import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `meterctl` against the built `meterd` and checks that meterd accepted exactly
/// what meterctl reports as sent.
@Suite(.timeLimit(.minutes(1)))
struct MeterctlEndToEndTests {
    /// The built `meterctl`, found like `meterd` (`METERCTL_BINARY`, else next to meterd).
    static func meterctlURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["METERCTL_BINARY"] { return URL(fileURLWithPath: path) }
        let candidate = try DaemonProcess.binaryURL().deletingLastPathComponent().appendingPathComponent("meterctl")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw TestSockets.Failure(description: "meterctl binary not found at \(candidate.path); run `swift build --build-tests`")
        }
        return candidate
    }

    /// Runs meterctl with `arguments` (and `stdin` on its standard input); returns exit code, stdout, stderr.
    static func meterctl(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try meterctlURL()
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// `key=<value>` from the last line of `load`'s output.
    static func field(_ key: String, _ output: String) -> Double? {
        let last = output.split(separator: "\n").last ?? ""
        for pair in last.split(separator: " ") where pair.hasPrefix(key + "=") {
            return Double(pair.dropFirst(key.count + 1))
        }
        return nil
    }

    @Test func sendOverUDPTCPAndUnixIsAcceptedExactly() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        let udp = try Self.meterctl(["send", "--udp", "127.0.0.1:\(daemon.udpPort)", "--max-datagram-bytes", "64",
                                     "api.calls:1|c|#tenant:ctl", "api.calls:2|c|#tenant:ctl", "sms.sent:1|c|#tenant:ctl,channel:sms"])
        #expect(udp.status == 0, "\(udp.err)")
        #expect(udp.out.contains("sent 3 lines in 2 datagrams"), "\(udp.out)")

        // stdin over TCP, with --check: the refused line is reported and not sent.
        let tcp = try Self.meterctl(["send", "--tcp", "127.0.0.1:\(daemon.tcpPort)", "--check"],
                                    stdin: "api.calls:1|c|#tenant:ctl\n\nai.tokens:-5|c|#tenant:ctl\nai.tokens:5|c|#tenant:ctl\n")
        #expect(tcp.status == 1) // something was refused locally
        #expect(tcp.out.contains("sent 2 lines"), "\(tcp.out)")
        #expect(tcp.err.contains("[negative_counter]") && tcp.err.contains("ai.tokens:-5"), "\(tcp.err)")

        let unix = try Self.meterctl(["send", "--unix", daemon.unixPath], stdin: "seats:p-1|s|#tenant:ctl\n")
        #expect(unix.status == 0, "\(unix.err)")

        try daemon.poll(what: "6 events accepted") { try daemon.metric("meterd_events_accepted_total") == 6 }
        #expect(try daemon.metric(#"meterd_events_received_total{transport="udp"}"#) == 3)
        #expect(try daemon.metric(#"meterd_events_received_total{transport="tcp"}"#) == 2)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="negative_counter"}"#) == nil)
    }

    @Test func loadOverTCPIsAcceptedExactlyAndOverUDPAtALowRate() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        // TCP, full speed: exact.
        let tcp = try Self.meterctl(["load", "--tcp", "127.0.0.1:\(daemon.tcpPort)", "--count", "50000",
                                     "--tenants", "100", "--metrics", "10", "--seed", "42"])
        #expect(tcp.status == 0, "\(tcp.err)")
        let tcpSent = try #require(Self.field("sent", tcp.out), "\(tcp.out)")
        #expect(tcpSent == 50_000)
        #expect((Self.field("rate", tcp.out) ?? 0) > 0)
        try daemon.poll(what: "50000 events accepted") { try daemon.metric("meterd_events_accepted_total") == tcpSent }

        // UDP at 50 000 events/s, 10 000 events: on loopback nothing is dropped in practice, and
        // this asserts it exactly (the kernel only drops when meterd's receive buffer overflows).
        let udp = try Self.meterctl(["load", "--udp", "127.0.0.1:\(daemon.udpPort)", "--count", "10000", "--rate", "50000",
                                     "--tenants", "100", "--metrics", "10"])
        #expect(udp.status == 0, "\(udp.err)")
        let udpSent = try #require(Self.field("sent", udp.out), "\(udp.out)")
        #expect(udpSent == 10_000)
        // At 50 000 events/s, 10 000 events take about 0.2 s; the pacing must not run much faster.
        #expect((Self.field("seconds", udp.out) ?? 0) >= 0.19)
        try daemon.poll(what: "UDP events accepted") { try daemon.metric("meterd_events_accepted_total") == tcpSent + udpSent }
        #expect(try daemon.metric(#"meterd_events_received_total{transport="udp"}"#) == udpSent)
        #expect(try daemon.metric(#"meterd_ring_dropped_total{reason="ring_full"}"#) == 0)
    }

    @Test func loadRefusesUnboundedRuns() throws {
        let noBound = try Self.meterctl(["load", "--tcp", "127.0.0.1:9"])
        #expect(noBound.status == 64)
        #expect(try Self.meterctl(["load", "--tcp", "127.0.0.1:9", "--count", "1000000001"]).status == 64)
        #expect(try Self.meterctl(["load", "--tcp", "127.0.0.1:9", "--duration", "3601"]).status == 64)
        #expect(try Self.meterctl(["load", "--count", "10"]).status != 0) // no default target for load
    }
}
