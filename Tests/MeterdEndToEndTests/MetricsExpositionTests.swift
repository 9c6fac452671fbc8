import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `/metrics` of the real binary, after traffic on every transport (refusals, duplicates, a
/// flush to PostgreSQL and Redis when the test servers are there), must pass Prometheus' own
/// linter, `promtool check metrics`: valid text format, `# HELP` on every family, counters
/// named `_total`, units as suffixes.
@Suite(.timeLimit(.minutes(1)))
struct MetricsExpositionTests {
    /// promtool from Debian's `prometheus` package (scripts/install-deps.sh installs it). CI must
    /// have it; a developer machine without it skips with the reason.
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let required = ProcessInfo.processInfo.environment["CI"] == "true"

    @Test func metricsPassPromtoolCheckAfterTrafficOnEveryTransport() throws {
        guard let promtool = Self.promtool else {
            #expect(!Self.required, "promtool is missing; scripts/install-deps.sh installs Debian's prometheus package")
            return
        }
        var arguments: [String] = []
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["METERD_TEST_POSTGRES_URL"] { arguments += ["--postgres", url] }
        if let url = environment["METERD_TEST_REDIS_URL"] { arguments += ["--redis", url] }
        // A new data directory on the shared database: a fresh instance name (see
        // MeterdCrashRecoveryTests.aReplacedDataDirectoryIsRefused).
        let daemon = try DaemonProcess(arguments: arguments, environment: ["METERD_INSTANCE": "expo-\(UUID().uuidString.prefix(8))"])
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        let tenant = "expo-\(UUID().uuidString.prefix(8).lowercased())"
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), """
            ai.tokens:5|c|#tenant:\(tenant),id:a
            ai.tokens:5|c|#tenant:\(tenant),id:a
            api.latency:3|ms|#tenant:\(tenant)

            """)
        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: ["storage.gb:2|g|#tenant:\(tenant)\nsms.sent:1|c|@0.5|#tenant:\(tenant)"])
        try TestSockets.sendAndClose(try TestSockets.connectUnix(path: daemon.unixPath), "seats:p1|s|#tenant:\(tenant)\n")
        try daemon.poll(what: "events counted and flushed") {
            try daemon.metric("meterd_events_accepted_total") == 3 && daemon.metric("meterd_flush_seconds_count") ?? 0 >= 1
        }

        let body = try TestSockets.get(port: daemon.httpPort, "/metrics").body
        let check = try Self.run(promtool, ["check", "metrics"], input: body)
        #expect(check.status == 0, "promtool check metrics: \(check.output)")

        // The process figures are real: memory in use, a start time within the last hour,
        // descriptors open (at least the listeners).
        let now = Date().timeIntervalSince1970
        #expect(try daemon.metric("process_resident_memory_bytes") ?? 0 > 1_000_000)
        #expect(try (now - 3_600...now + 5).contains(daemon.metric("process_start_time_seconds") ?? 0))
        #expect(try daemon.metric("process_open_fds") ?? 0 >= 4)
        #expect(try daemon.metric("process_cpu_seconds_total") ?? 0 > 0)
        #expect(try daemon.terminate() == 0)
    }

    static func run(_ executable: String, _ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        let output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
