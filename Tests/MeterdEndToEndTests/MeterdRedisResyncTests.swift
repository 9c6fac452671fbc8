import Foundation
import MeterCore
import MeterPostgres
import MeterRedis
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary with the real PostgreSQL (`METERD_TEST_POSTGRES_URL`, a fresh database per
/// test) and a private `redis-server` the test kills, pauses and tampers with: after each
/// outage or failure, the resync makes every open-period hash equal PostgreSQL's totals
/// (docs/redis.md "Resync"). Serialized: each test blocks a thread for 10 to 40 s while it
/// polls, and the async suites need the cooperative pool (2 threads on a 2-core machine).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MeterdRedisResyncTests {
    static var isConfigured: Bool { MeterdPostgresTests.isConfigured && PrivateRedis.binary != nil }
    static let skipMessage: Comment = "needs METERD_TEST_POSTGRES_URL (scripts/test.sh) and redis-server"
    static let linesPerBatch = 24

    /// Open-period keys under `prefix`, each with its non-zero fields (an absent field reads 0).
    static func redisTotals(port: Int, prefix: String, openBuckets: [Grain: Int64]) throws -> [String: [String: String]] {
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(port)", connectTimeout: .seconds(1), commandTimeout: .seconds(5))
        defer { redis.close() }
        let layout = LiveCounterKeys(prefix: prefix)
        guard case .array(let keys) = try redis.command(["KEYS", "\(prefix):usage:*"]) else { return [:] }
        var totals: [String: [String: String]] = [:]
        for key in keys.compactMap(\.string) where layout.isResynced(key, openBuckets: openBuckets) {
            guard case .array(let flat) = try redis.command(["HGETALL", key]) else { continue }
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: flat.count - 1, by: 2) where flat[index + 1].string != "0" {
                fields[flat[index].string ?? ""] = flat[index + 1].string
            }
            totals[key] = fields
        }
        return totals
    }

    /// The same keys computed from the rollup tables by this test's own query: counters and
    /// sets, summed over dimension combinations, quantities in micro-units.
    static func postgresTotals(_ database: PostgresConnection, prefix: String,
                               openBuckets: [Grain: Int64]) throws -> [String: [String: String]] {
        var totals: [String: [String: String]] = [:]
        for grain in Grain.allCases {
            let table = ["hour": "usage_hourly", "day": "usage_daily", "month": "usage_monthly"][grain.name]!
            let result = try database.execute("""
                SELECT tenant, metric, type, extract(epoch FROM bucket)::bigint::text AS bucket, sum(events)::text AS events,
                       (sum(sum) * 1000000)::bigint::text AS sum_units, sum(uniques)::text AS uniques
                FROM meterd.\(table) WHERE bucket >= to_timestamp($1) GROUP BY tenant, metric, type, bucket
                """, parameters: [String(openBuckets[grain]!)])
            for index in 0..<result.rows.count {
                let key = "\(prefix):usage:{\(result[index, "tenant"]!)}:\(result[index, "metric"]!):\(result[index, "type"]!):\(grain.name):\(result[index, "bucket"]!)"
                var fields = ["events": result[index, "events"]!]
                if result[index, "type"] == "c", result[index, "sum_units"] != "0" { fields["sum_units"] = result[index, "sum_units"] }
                if result[index, "type"] == "s", result[index, "uniques"] != "0" { fields["unique"] = result[index, "uniques"] }
                totals[key] = fields
            }
        }
        return totals
    }

    /// Polls until Redis holds exactly PostgreSQL's open-period totals (and at least one key).
    static func waitUntilRedisEqualsPostgres(_ daemon: DaemonProcess, port: Int, prefix: String,
                                             connect: () throws -> PostgresConnection, timeout: Double = 20) throws {
        let database = try connect()
        defer { database.close() }
        var last = ""
        do {
            try daemon.poll(timeout: timeout, what: "Redis equal to PostgreSQL") {
                let open = LiveCounterKeys.openBuckets(at: Int64(Date().timeIntervalSince1970))
                guard let redis = try? redisTotals(port: port, prefix: prefix, openBuckets: open) else { return false }
                let postgres = try postgresTotals(database, prefix: prefix, openBuckets: open)
                last = "redis \(redis.count) keys, postgres \(postgres.count); differing: "
                    + postgres.keys.filter { redis[$0] != postgres[$0] }.prefix(3).map { "\($0) pg=\(postgres[$0]!) redis=\(redis[$0] ?? [:])" }.joined(separator: "; ")
                return !postgres.isEmpty && redis == postgres
            }
        } catch {
            Issue.record("\(last)")
            throw error
        }
    }

    /// Sends batches of counters (two dimension combinations) and set members, each closed by
    /// a `#sync` barrier, for `seconds`; every barrier must answer with the whole batch accepted.
    final class Sender {
        let fd: Int32
        let run: String
        var batches = 0

        init(port: Int, run: String) throws {
            fd = try TestSockets.connectTCP(port: port)
            self.run = run
        }

        deinit { close(fd) }

        func send(for seconds: Double) throws {
            let deadline = Date().addingTimeInterval(seconds)
            repeat {
                let lines = (0..<MeterdRedisResyncTests.linesPerBatch).map { line -> String in
                    let tenant = "\(run)-t\(line % 3)"
                    return line % 4 == 3
                        ? "seats:m\(batches)-\(line)|s|#tenant:\(tenant)"
                        : "api.calls:\(line).25|c|#tenant:\(tenant),model:m\(line % 2)"
                }
                let answer = try SyncAnswer.exchange(fd, lines: lines, token: "b\(batches)")
                #expect(answer?.accepted == MeterdRedisResyncTests.linesPerBatch && answer?.durable == true,
                        "barrier b\(batches) answered \(String(describing: answer))")
                batches += 1
                usleep(20_000)
            } while Date() < deadline
        }
    }

    static func daemonArguments(postgres: String, redisPort: Int, prefix: String) -> [String] {
        ["--postgres", postgres, "--redis", "redis://127.0.0.1:\(redisPort)", "--set", "redis.key_prefix=\(prefix)"]
    }

    /// Redis killed twice mid-run (SIGKILL): once restarted with its data (append-only file),
    /// once empty. Every barrier during the outages answers with all events accepted; after each
    /// return Redis equals PostgreSQL within a bounded time.
    @Test(.enabled(if: isConfigured, skipMessage))
    func redisKilledMidRunLosesNoIngestionAndCatchesUp() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let port = try TestSockets.freePort()
            let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-resync-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dataDirectory) }
            var server = try PrivateRedis(port: port, persistentDirectory: dataDirectory)
            defer { server.stop() }
            let prefix = "rs-kill-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let daemon = try DaemonProcess(arguments: Self.daemonArguments(postgres: url, redisPort: port, prefix: prefix), unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            let sender = try Sender(port: daemon.tcpPort, run: prefix)

            try sender.send(for: 1)
            try Self.waitUntilRedisEqualsPostgres(daemon, port: port, prefix: prefix, connect: connect)

            server.stop()
            try sender.send(for: 3)
            try daemon.poll(what: "the outage seen") { try daemon.metric("meterd_redis_mirror_connected") == 0 }
            server = try PrivateRedis(port: port, persistentDirectory: dataDirectory)
            try sender.send(for: 1)
            try Self.waitUntilRedisEqualsPostgres(daemon, port: port, prefix: prefix, connect: connect)

            server.stop()
            try sender.send(for: 3)
            try FileManager.default.removeItem(at: dataDirectory)
            server = try PrivateRedis(port: port)  // its data wiped
            try sender.send(for: 1)
            try Self.waitUntilRedisEqualsPostgres(daemon, port: port, prefix: prefix, connect: connect)

            #expect(try daemon.metric("meterd_events_accepted_total") == Double(sender.batches * Self.linesPerBatch))
            // Start-up and the two reconnects each resynced.
            #expect(try daemon.metric(#"meterd_redis_mirror_resyncs_total{result="ok"}"#) ?? 0 >= 3)
            #expect(try daemon.metric("meterd_redis_mirror_needs_resync") == 0)
            #expect(try daemon.terminate() == 0)
        }
    }

    /// `CLIENT PAUSE ... WRITE` makes a round's `HINCRBY`s wait past the command timeout after
    /// its `PING` passed: the round fails mid-pipeline, is not resent, and the resync after the
    /// reconnect (retried until the pause ends) makes Redis equal PostgreSQL.
    @Test(.enabled(if: isConfigured, skipMessage))
    func aRoundThatTimesOutMidPipelineIsRepairedByTheResync() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let port = try TestSockets.freePort()
            let server = try PrivateRedis(port: port)
            defer { server.stop() }
            let prefix = "rs-pause-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let daemon = try DaemonProcess(arguments: Self.daemonArguments(postgres: url, redisPort: port, prefix: prefix), unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            let sender = try Sender(port: daemon.tcpPort, run: prefix)
            try sender.send(for: 0.5)
            try Self.waitUntilRedisEqualsPostgres(daemon, port: port, prefix: prefix, connect: connect)
            let resyncsBefore = try daemon.metric(#"meterd_redis_mirror_resyncs_total{result="ok"}"#) ?? 0

            let admin = try server.connect()
            #expect(try admin.command(["CLIENT", "PAUSE", "5000", "WRITE"]) == .status("OK"))
            try sender.send(for: 1)
            try daemon.poll(timeout: 10, what: "a failed round") {
                try daemon.metric(#"meterd_redis_mirror_rounds_total{result="failed"}"#) ?? 0 >= 1
            }
            try sender.send(for: 0.5)
            try Self.waitUntilRedisEqualsPostgres(daemon, port: port, prefix: prefix, connect: connect)
            #expect(try daemon.metric(#"meterd_redis_mirror_resyncs_total{result="ok"}"#) ?? 0 > resyncsBefore)
            try daemon.poll(what: "needs_resync cleared") { try daemon.metric("meterd_redis_mirror_needs_resync") == 0 }
            #expect(try daemon.terminate() == 0)
        }
    }

    /// meterd restarted while Redis holds wrong values, a missing field and a key PostgreSQL does
    /// not have: the start-up resync repairs the open periods and deletes the stale key; a
    /// closed period's key is left to expire.
    @Test(.enabled(if: isConfigured, skipMessage))
    func startUpResyncRepairsWrongValues() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let port = try TestSockets.freePort()
            let server = try PrivateRedis(port: port)
            defer { server.stop() }
            let prefix = "rs-start-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let arguments = Self.daemonArguments(postgres: url, redisPort: port, prefix: prefix)
            let first = try DaemonProcess(arguments: arguments, unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            try Sender(port: first.tcpPort, run: prefix).send(for: 0.5)
            try Self.waitUntilRedisEqualsPostgres(first, port: port, prefix: prefix, connect: connect)
            #expect(try first.terminate() == 0)

            let redis = try server.connect()
            let open = LiveCounterKeys.openBuckets(at: Int64(Date().timeIntervalSince1970))
            let keys = try Self.redisTotals(port: port, prefix: prefix, openBuckets: open).keys.sorted()
            #expect(keys.count >= 6)
            _ = try redis.command(["HSET", keys[0], "events", "999999", "sum_units", "1"])
            _ = try redis.command(["HDEL", keys[1], "events"])
            let layout = LiveCounterKeys(prefix: prefix)
            let stale = layout.key(tenant: "ghost", metric: "api.calls", type: .counter, grain: .month, bucketStart: open[.month]!)
            let closed = layout.key(tenant: "ghost", metric: "api.calls", type: .counter, grain: .hour,
                                    bucketStart: open[.hour]! - 7_200)
            _ = try redis.command(["HSET", stale, "events", "5"])
            _ = try redis.command(["HSET", closed, "events", "5"])

            let second = try DaemonProcess(arguments: arguments + ["--data-dir", first.directory.path], unix: false)
            defer { second.stop() }
            try second.waitUntilReady()
            try Self.waitUntilRedisEqualsPostgres(second, port: port, prefix: prefix, connect: connect)
            #expect(try redis.command(["EXISTS", stale]) == .integer(0))
            #expect(try redis.command(["EXISTS", closed]) == .integer(1))
            #expect(try second.metric(#"meterd_redis_mirror_resync_keys_total{action="deleted"}"#) ?? 0 >= 1)
            #expect(try second.metric(#"meterd_redis_mirror_resyncs_total{result="ok"}"#) ?? 0 >= 1)
            #expect(try second.terminate() == 0)
        }
    }
}
