import Foundation
import MeterRedis
import Testing

/// The real binary mirroring its flushes into the real Redis started by `scripts/test.sh`
/// (`METERD_TEST_REDIS_URL`; skipped, never faked, without it), and the same binary pointed at
/// a Redis that is not there.
@Suite struct MeterdRedisTests {
    static let url = ProcessInfo.processInfo.environment["METERD_TEST_REDIS_URL"]
    static var isConfigured: Bool { url?.isEmpty == false }

    /// Every field of the single month hash of `metric` (type letter `type`) of `tenant`.
    static func monthHash(_ redis: RedisConnection, prefix: String = "meterd", tenant: String, metric: String,
                          type: String) throws -> [String: String]? {
        guard case .array(let keys) = try redis.command(["KEYS", "\(prefix):usage:{\(tenant)}:\(metric):\(type):month:*"]),
              keys.count == 1, let key = keys[0].string else { return nil }
        guard case .array(let flat) = try redis.command(["HGETALL", key]) else { return nil }
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            fields[flat[index].string ?? ""] = flat[index + 1].string
        }
        return fields
    }

    @Test(.enabled(if: isConfigured, "METERD_TEST_REDIS_URL is unset: run scripts/test.sh, which starts a private Redis"))
    func flushedTotalsReachRedisExactly() throws {
        let url = try #require(Self.url)
        let tenant = "rm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let redis = try RedisConnection(url: url, connectTimeout: .seconds(2), commandTimeout: .seconds(5))
        // A prefix of its own: the start-up resync deletes open-period keys under its prefix that
        // this process's totals do not hold (other tests share this Redis).
        let prefix = "rm-\(tenant)"
        let daemon = try DaemonProcess(arguments: ["--redis", url, "--set", "redis.key_prefix=\(prefix)"], unix: false)
        func monthHash(_ redis: RedisConnection, tenant: String, metric: String, type: String) throws -> [String: String]? {
            try Self.monthHash(redis, prefix: prefix, tenant: tenant, metric: metric, type: type)
        }
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: [
            "ai.tokens:1000.25|c|#tenant:\(tenant),model:gpt-x\nai.tokens:0.75|c|#tenant:\(tenant),model:gpt-y,id:r1",
            "ai.tokens:0.75|c|#tenant:\(tenant),model:gpt-y,id:r1\nproviders.active:p-1|s|#tenant:\(tenant)",
        ])
        let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
        try TestSockets.sendAndClose(tcp, "providers.active:p-2|s|#tenant:\(tenant)\nproviders.active:p-1|s|#tenant:\(tenant)\n")

        // Two dimension combinations of ai.tokens land in one hash; the retry (id:r1) counts once.
        try daemon.poll(what: "the counter in Redis") {
            try monthHash(redis, tenant: tenant, metric: "ai.tokens", type: "c")?["sum_units"] == "1001000000"
        }
        let tokens = try #require(try monthHash(redis, tenant: tenant, metric: "ai.tokens", type: "c"))
        #expect(tokens["events"] == "2")
        try daemon.poll(what: "the set in Redis") {
            try monthHash(redis, tenant: tenant, metric: "providers.active", type: "s")?["unique"] == "2"
        }
        let providers = try #require(try monthHash(redis, tenant: tenant, metric: "providers.active", type: "s"))
        #expect(providers["events"] == "3")
        #expect(providers["sum_units"] == nil)

        // A second flush adds to the same hashes (HINCRBY), including the hour and day keys.
        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: [
            "ai.tokens:1|c|#tenant:\(tenant),model:gpt-x\nproviders.active:p-3|s|#tenant:\(tenant)",
        ])
        try daemon.poll(what: "the second flush in Redis") {
            try monthHash(redis, tenant: tenant, metric: "providers.active", type: "s")?["unique"] == "3"
        }
        let after = try #require(try monthHash(redis, tenant: tenant, metric: "ai.tokens", type: "c"))
        #expect(after["sum_units"] == "1002000000")
        #expect(after["events"] == "3")
        guard case .array(let all) = try redis.command(["KEYS", "\(prefix):usage:{\(tenant)}:*"]) else {
            Issue.record("KEYS failed")
            return
        }
        #expect(all.count == 6)  // 2 metrics x (hour, day, month)
        for key in all.compactMap(\.string) {
            let ttl = try redis.command(["TTL", key]).int64 ?? -1
            #expect(ttl > 7 * 86_400, "\(key) expires with its period plus retention")
        }
        try daemon.poll(what: "mirror metrics") { try daemon.metric("meterd_redis_mirror_connected") == 1 }
        #expect(try daemon.metric("meterd_redis_mirror_needs_resync") == 0)
        #expect(try daemon.metric("meterd_redis_mirror_dropped_rounds_total") ?? 0 == 0)
        #expect(try daemon.terminate() == 0)
    }

    @Test func ingestionIgnoresAnUnreachableRedis() throws {
        let port = try TestSockets.freePort()
        let daemon = try DaemonProcess(arguments: ["--redis", "redis://:secret@127.0.0.1:\(port)"], flushInterval: "0.05", unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
        let lines = (0..<500).map { "ai.tokens:\($0)|c|#tenant:down,model:m\($0 % 7)\n" }.joined()
        try TestSockets.sendAndClose(tcp, lines)
        try daemon.poll(what: "events accepted") { try daemon.metric("meterd_events_accepted_total") == 500 }
        // Flushes still commit to memory; the mirror keeps failing to connect, off the ingest path.
        try daemon.poll(what: "connect errors") {
            (try daemon.metric(#"meterd_redis_mirror_errors_total{kind="connect_failed"}"#) ?? 0) >= 2
        }
        #expect(try daemon.metric("meterd_redis_mirror_connected") == 0)
        let rollups = try TestSockets.get(port: daemon.httpPort, "/debug/rollups?tenant=down")
        #expect(rollups.status == 200)
        let months = try RollupRows(json: rollups.body).rows.filter { $0.metric == "ai.tokens" && $0.grain == "month" }
        #expect(months.count == 7 && months.reduce(0) { $0 + $1.events } == 500)

        let start = Date()
        #expect(try daemon.terminate() == 0)
        #expect(Date().timeIntervalSince(start) < 4, "shutdown is bounded, whatever Redis does")
        // One log line per outage, not per attempt; the password never reaches the log.
        #expect(daemon.stderr.components(separatedBy: "redis mirror cannot connect").count == 2)
        #expect(!daemon.stderr.contains("secret"))
    }

    @Test(.enabled(if: PrivateRedis.binary != nil, "redis-server is not installed: run scripts/install-deps.sh"))
    func roundsQueuedDuringAnOutageReachRedisWhenItReturns() throws {
        let port = try TestSockets.freePort()
        var server = try PrivateRedis(port: port)
        defer { server.stop() }
        let daemon = try DaemonProcess(arguments: ["--redis", "redis://127.0.0.1:\(port)"], unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        func tokens(_ redis: RedisConnection) throws -> [String: String]? {
            try Self.monthHash(redis, tenant: "outage", metric: "ai.tokens", type: "c")
        }

        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: ["ai.tokens:7|c|#tenant:outage"])
        let before = try server.connect()
        try daemon.poll(what: "the first round in Redis") { try tokens(before)?["sum_units"] == "7000000" }

        // Redis goes away (and, without persistence, comes back empty): two rounds meanwhile.
        server.stop()
        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: ["ai.tokens:2|c|#tenant:outage"])
        try daemon.poll(what: "a round queued") { try daemon.metric("meterd_redis_mirror_lag_rounds") == 1 }
        try TestSockets.sendUDP(port: daemon.udpPort, datagrams: ["ai.tokens:3|c|#tenant:outage"])
        try daemon.poll(what: "three events accepted") { try daemon.metric("meterd_events_accepted_total") == 3 }
        try daemon.poll(what: "two rounds queued") { try daemon.metric("meterd_redis_mirror_lag_rounds") == 2 }
        #expect(try daemon.metric("meterd_redis_mirror_connected") == 0)

        server = try PrivateRedis(port: port)
        let after = try server.connect()
        // Redis came back empty: the resync after the reconnect writes this process's totals
        // (7 + 2 + 3), and the two queued rounds, already in them, are discarded, not added.
        try daemon.poll(timeout: 15, what: "the totals in Redis") { try tokens(after)?["sum_units"] == "12000000" }
        #expect(try tokens(after)?["events"] == "3")
        try daemon.poll(what: "queued rounds discarded") { try daemon.metric("meterd_redis_mirror_skipped_rounds_total") == 2 }
        #expect(try tokens(after)?["sum_units"] == "12000000")
        #expect(try daemon.metric("meterd_redis_mirror_needs_resync") == 0)
        #expect(try daemon.metric("meterd_redis_mirror_dropped_rounds_total") == 0)
        #expect(try daemon.metric(#"meterd_redis_mirror_rounds_total{result="failed"}"#) == 0)
        #expect(try daemon.metric(#"meterd_redis_mirror_rounds_total{result="sent"}"#) == 1)
        #expect(try daemon.metric(#"meterd_redis_mirror_resyncs_total{result="ok"}"#) == 2)
        #expect(try daemon.terminate() == 0)
        #expect(daemon.stderr.components(separatedBy: "redis mirror connected").count == 3)
    }
}

/// A throw-away redis-server on a loopback port for outage tests: without persistence (a
/// restart comes back empty), or with an append-only file fsynced on every write in
/// `persistentDirectory` (a restart after SIGKILL keeps every acknowledged write).
struct PrivateRedis {
    static let binary: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    let process = Process()
    let port: Int

    init(port: Int, persistentDirectory: URL? = nil) throws {
        self.port = port
        process.executableURL = URL(fileURLWithPath: try #require(Self.binary))
        let persistence = persistentDirectory.map {
            ["--dir", $0.path, "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        } ?? ["--save", "", "--appendonly", "no"]
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--daemonize", "no", "--loglevel", "warning"]
            + persistence
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(5)
        while (try? connect()) == nil {
            guard Date() < deadline, process.isRunning else {
                throw TestSockets.Failure(description: "redis-server did not start on port \(port)")
            }
            usleep(20_000)
        }
    }

    func connect() throws -> RedisConnection {
        try RedisConnection(url: "redis://127.0.0.1:\(port)", connectTimeout: .seconds(1), commandTimeout: .seconds(5))
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
