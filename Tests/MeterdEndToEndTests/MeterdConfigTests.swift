import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary configured by `--config FILE`, `METERD_*` variables and `--set`.
@Suite(.timeLimit(.minutes(1)))
struct MeterdConfigTests {
    /// A config file in a fresh temporary directory; remove it with `remove()`.
    struct ConfigFile {
        let path: String
        init(_ text: String) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-e2e-config-\(UUID().uuidString.prefix(8)).yaml").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test func limitsFromTheConfigFileAreEnforced() throws {
        let file = try ConfigFile("""
            limits:
              max_series_per_tenant: 2
            protocol:
              max_dimensions: 1
            """)
        defer { file.remove() }
        let daemon = try DaemonProcess(arguments: ["--config", file.path], unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), """
            a.one:1|c|#tenant:cfg
            a.two:1|c|#tenant:cfg
            a.three:1|c|#tenant:cfg
            a.one:1|c|#tenant:cfg,model:m1,region:eu

            """)
        try daemon.poll(what: "the limits' refusals") {
            try daemon.metric(#"meterd_events_refused_total{transport="aggregator",reason="tenant_series_limit"}"#) == 1
                && daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="too_many_tags"}"#) == 1
        }
        #expect(try daemon.metric("meterd_events_accepted_total") == 2)
        #expect(try daemon.terminate() == 0)
    }

    @Test func environmentBeatsTheFileAndFlagsBeatTheEnvironment() throws {
        let file = try ConfigFile("protocol.max_name_bytes: 100\nlimits.max_series_per_tenant: 1\n")
        defer { file.remove() }
        let daemon = try DaemonProcess(
            arguments: ["--config", file.path, "--set", "limits.max_series_per_tenant=50"], unix: false,
            environment: ["METERD_PROTOCOL_MAX_NAME_BYTES": "8", "METERD_LIMITS_MAX_SERIES_PER_TENANT": "1"])
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        // Names of 9 bytes are refused (environment: 8, not the file's 100); three series of
        // one tenant are all accepted (flag: 50, not the environment's or the file's 1).
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: daemon.tcpPort), """
            too.longg:1|c|#tenant:env
            m1:1|c|#tenant:env
            m2:1|c|#tenant:env
            m3:1|c|#tenant:env

            """)
        try daemon.poll(what: "all lines handled") {
            try daemon.metric(#"meterd_events_refused_total{transport="tcp",reason="name_too_long"}"#) == 1
                && daemon.metric("meterd_events_accepted_total") == 3
        }
        #expect(try daemon.terminate() == 0)
    }

    /// scripts/test.sh exports METERD_POSTGRES_URL: it is not a setting (the key `postgres` is
    /// METERD_POSTGRES), so a daemon started with it does not write to PostgreSQL.
    @Test func theTestScriptsVariablesDoNotConfigureTheDaemon() throws {
        let daemon = try DaemonProcess(unix: false, environment: [
            "METERD_POSTGRES_URL": "postgresql://nobody@127.0.0.1:1/none", "METERD_REDIS_URL": "redis://127.0.0.1:1",
        ])
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        #expect(try daemon.terminate() == 0)
        #expect(daemon.stderr.contains("postgres.configured=false"))
        #expect(daemon.stderr.contains("redis.configured=false"))
    }

    @Test(arguments: [
        // (file, environment, arguments besides --config, exit code, what stderr names)
        ("limits:\n  max_series_per_tenant: 0\n", [:], [], 78, ["limits.max_series_per_tenant", "line 2", "must be at least 1"]),
        ("limits:\n  max_seris_per_tenant: 5\n", [:], [], 78, ["limits.max_seris_per_tenant", "unknown key", "did you mean 'limits.max_series_per_tenant'"]),
        ("udp: [1, 2]\n", [:], [], 78, ["udp", "expected a single value"]),
        ("ring: [\n", [:], [], 78, ["is not valid YAML"]),
        ("", ["METERD_RING_SHARDS": "0"], [], 78, ["ring.shards (environment METERD_RING_SHARDS)", "between 1 and 256"]),
        ("", [:], ["--set", "dedup.window_seconds=-1"], 64, ["dedup.window_seconds (flag --set dedup.window_seconds)"]),
        ("ring.shards: 4\n", [:], ["--shards", "0"], 64, ["ring.shards (flag --shards)"]),
    ] as [(String, [String: String], [String], Int32, [String])])
    func badConfigurationFailsAtStartUpNamingTheKey(file text: String, environment: [String: String], arguments: [String],
                                                    status: Int32, named: [String]) throws {
        let file = try ConfigFile(text)
        defer { file.remove() }
        let (exit, errors) = try Self.run(["--config", file.path] + arguments, environment: environment)
        #expect(exit == status, "\(errors)")
        for text in named { #expect(errors.contains(text), "\(errors)") }
        if status == 78 { #expect(errors.contains(file.path) || !environment.isEmpty, "\(errors)") }
    }

    @Test func aMissingConfigFileIsNamed() throws {
        let (exit, errors) = try Self.run(["--config", "/nonexistent/meterd.yaml"])
        #expect(exit == 78)
        #expect(errors.contains("config file /nonexistent/meterd.yaml: no such file"), "\(errors)")
    }

    @Test func theExampleConfigFileStartsTheDaemon() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/meterd.yaml").path
        let daemon = try DaemonProcess(arguments: ["--config", example], unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        #expect(try daemon.terminate() == 0)
    }

    /// Runs meterd until it exits (it is expected to fail at start-up), on ports nobody listens
    /// on, so a daemon that did start would not disturb other tests.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let ports = try TestSockets.freePorts(3)
        return try DaemonProcess.runUntilExit(
            ["--udp", "127.0.0.1:\(ports[0])", "--tcp", "127.0.0.1:\(ports[1])", "--http", "127.0.0.1:\(ports[2])"] + arguments,
            environment: environment)
    }
}
