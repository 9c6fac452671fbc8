import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A meterd process started from the built binary, on free loopback ports.
final class DaemonProcess {
    let process = Process()
    let udpPort: Int
    let tcpPort: Int
    let httpPort: Int
    let unixPath: String
    let directory: URL
    let stdoutURL: URL
    let stderrURL: URL

    /// The built `meterd`: `METERD_BINARY` if set, else next to the test bundle (SwiftPM puts
    /// products and the test bundle in one folder), else `.build/debug/meterd` of this package.
    static func binaryURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["METERD_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        var candidates: [URL] = []
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(bundleDirectory.appendingPathComponent("meterd"))
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("meterd"))
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug/meterd"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw TestSockets.Failure(description: "meterd binary not found; run `swift build --build-tests` (tried \(candidates.map(\.path)))")
    }

    /// - Parameters:
    ///   - environment: variables set (or, with a nil value, removed) in the daemon's environment,
    ///     on top of the test runner's less its `METERD_*` variables (`environment(_:)`).
    ///   - launcher: a command that starts meterd as its last arguments (e.g.
    ///     `systemd-socket-activate -l ADDR`); the meterd path and flags are appended.
    ///   - flushInterval: passed as `--flush-interval`; nil passes no flag (the config file's or the default applies).
    ///   - apiToken: passed as `--set http_auth.tokens=`; nil passes none (no token: only exempt paths answer).
    init(arguments extra: [String] = [], flushInterval: String? = "0.1", unix: Bool = true,
         environment: [String: String?] = [:], launcher: [String] = [], apiToken: String? = TestSockets.apiToken) throws {
        let ports = try TestSockets.freePorts(3)
        udpPort = ports[0]
        tcpPort = ports[1]
        httpPort = ports[2]
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        unixPath = directory.appendingPathComponent("ingest.sock").path
        stdoutURL = directory.appendingPathComponent("stdout")
        stderrURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        let binary = try Self.binaryURL()
        var arguments = [
            "--udp", "127.0.0.1:\(udpPort)", "--tcp", "127.0.0.1:\(tcpPort)", "--http", "127.0.0.1:\(httpPort)",
            "--shards", "2", "--data-dir", directory.path,
        ]
        if let flushInterval { arguments += ["--flush-interval", flushInterval] }
        if let apiToken { arguments += ["--set", "http_auth.tokens=\(apiToken)"] }
        if unix { arguments += ["--unix", unixPath] }
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = launcher.dropFirst() + [binary.path] + arguments + extra
        } else {
            process.executableURL = binary
            process.arguments = arguments + extra
        }
        process.environment = Self.environment(environment)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    /// The test runner's environment without any `METERD_*` variable (scripts/test.sh exports
    /// `METERD_POSTGRES_URL` and others, and any `METERD_<KEY>` would configure the daemon),
    /// then `changes` applied: a test names every setting its daemon gets from the environment.
    static func environment(_ changes: [String: String?] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("METERD_") }
        for (name, value) in changes { environment[name] = value }
        return environment
    }

    /// Waits until `/readyz` answers 200.
    func waitUntilReady(timeout: Double = 5) throws {
        try poll(timeout: timeout, what: "/readyz") {
            (try? TestSockets.get(port: httpPort, "/readyz").status) == 200
        }
    }

    func poll(timeout: Double = 5, what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            guard process.isRunning else {
                throw TestSockets.Failure(description: "meterd exited (\(process.terminationStatus)) waiting for \(what): \(stderr)")
            }
            usleep(20_000)
        }
        throw TestSockets.Failure(description: "timed out waiting for \(what); stderr: \(stderr)")
    }

    /// The value of one sample line of `/metrics`, e.g. `meterd_events_accepted_total`.
    func metric(_ sample: String) throws -> Double? {
        let body = try TestSockets.get(port: httpPort, "/metrics").body
        for line in body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code.
    func terminate(timeout: Double = 5) throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { throw TestSockets.Failure(description: "meterd did not exit after SIGTERM") }
        return process.terminationStatus
    }

    /// Kills the process if it still runs and removes its files; call in a `defer`.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs meterd with `arguments` until it exits (for start-up failures); returns the exit code
    /// and what it wrote to stderr. The environment is the scrubbed one (`environment(_:)`).
    static func runUntilExit(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = try binaryURL()
        process.arguments = arguments
        process.environment = environment(extra)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message)
    }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
}

/// One tenant's `/debug/rollups` JSON, indexed for assertions.
struct RollupRows {
    struct Row {
        var metric: String
        var grain: String
        var events: Int
        var fields: [String: Any]
    }
    var rows: [Row]

    init(json: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let rows = object?["rows"] as? [[String: Any]] ?? []
        self.rows = rows.map {
            Row(metric: $0["metric"] as? String ?? "", grain: $0["grain"] as? String ?? "",
                events: $0["events"] as? Int ?? -1, fields: $0)
        }
    }

    /// The single month row of `metric` (tests send everything within one month).
    func month(_ metric: String) -> Row? {
        rows.first { $0.metric == metric && $0.grain == "month" }
    }
}
