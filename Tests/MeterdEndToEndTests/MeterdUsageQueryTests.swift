import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `GET /v1/usage` on the real binary (docs/queries.md): every answer counts each accepted
/// event exactly once, whether it is flushed, being flushed or still in memory.
/// Serialized: these tests block on sockets, and several at once would hold every thread of
/// the cooperative pool (2 on this machine) that the asynchronous tests of the run need.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MeterdUsageQueryTests {
    typealias Connection = HTTPEventsEndToEndTests.Connection

    /// One tenant's counter usage as `/v1/usage` answers it (hour grain, 40 days back to a day ahead).
    struct Usage {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var series: [[String: Any]] { json["series"] as? [[String: Any]] ?? [] }
        /// Events and counter sum over every series and bucket, summed from the buckets.
        var events: Int { series.flatMap { $0["buckets"] as? [[String: Any]] ?? [] }.reduce(0) { $0 + ($1["events"] as? Int ?? 0) } }
        var sum: Decimal {
            series.flatMap { $0["buckets"] as? [[String: Any]] ?? [] }
                .reduce(Decimal(0)) { $0 + (Decimal(string: $1["sum"] as? String ?? "0") ?? 0) }
        }
    }

    static func path(tenant: String, metric: String? = "calls", extra: String = "") -> String {
        let now = Int(time(nil))
        return "/v1/usage?tenant=\(tenant)" + (metric.map { "&metric=\($0)" } ?? "")
            + "&grain=hour&from=\(now - 40 * 86_400)&to=\(now + 86_400)" + extra
    }

    static func usage(_ connection: Connection, _ path: String, token: String? = TestSockets.apiToken) throws -> Usage {
        try connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n")
        let response = try connection.read()
        return Usage(status: response.status, body: response.body)
    }

    /// Sends `count` counter events of value 0.5 for `tenant` over `fd`, then a barrier, and
    /// checks meterd accepted them all (they are then in the ring or further).
    static func step(_ fd: Int32, tenant: String, count: Int, label: String) throws {
        let lines = (0..<count).map { "calls:0.5|c|#tenant:\(tenant),model:m\($0 % 5)" }
        let answer = try #require(try SyncAnswer.exchange(fd, lines: lines, token: label))
        #expect(answer.accepted == count, "\(answer)")
    }

    static func flushedEvents(_ database: PostgresConnection, tenant: String) throws -> Int {
        let result = try database.execute("SELECT coalesce(sum(events), 0)::text AS n FROM meterd.usage_monthly WHERE tenant = $1",
                                          parameters: [tenant])
        return Int(result[0, "n"] ?? "0") ?? 0
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func inMemoryEventsAreAnsweredExactlyWithTheErrors() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            // An hour between flushes: everything stays in memory.
            let daemon = try DaemonProcess(arguments: ["--postgres", url], flushInterval: "3600", unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
            defer { close(tcp) }
            try Self.step(tcp, tenant: "mem", count: 7, label: "s1")
            try TestSockets.writeAll(tcp, Array("seats:u1|s|#tenant:mem\nseats:u2|s|#tenant:mem\nseats:u1|s|#tenant:mem\n".utf8))
            _ = try #require(try SyncAnswer.exchange(tcp, lines: ["disk:10|g|#tenant:mem"], token: "s2"))
            let connection = try Connection(port: daemon.httpPort)

            let calls = try Self.usage(connection, Self.path(tenant: "mem"))
            #expect(calls.status == 200, "\(calls.body)")
            #expect(calls.events == 7)
            #expect(calls.sum == Decimal(string: "3.5"))
            #expect(calls.series.count == 5, "one series per model")
            #expect(calls.body.contains(#""sum":"0.5""#) || calls.body.contains(#""sum":"1""#), "decimals are strings")
            #expect(try Self.flushedEvents(connect(), tenant: "mem") == 0, "nothing was flushed")

            let all = try Self.usage(connection, Self.path(tenant: "mem", metric: nil))
            #expect(all.series.map { $0["metric"] as? String ?? "" }.sorted() == ["calls", "calls", "calls", "calls", "calls", "disk", "seats"])
            let seats = try #require(all.series.first { $0["metric"] as? String == "seats" })
            #expect((seats["buckets"] as? [[String: Any]])?.first?["uniques"] as? Int == 2)
            let model = try Self.usage(connection, Self.path(tenant: "mem", extra: "&dim.model=m1"))
            #expect(model.events == 2)
            #expect(model.sum == 1)

            // Unknown tenant: 404; a known tenant with nothing in the range: 200, no series.
            let unknown = try Self.usage(connection, Self.path(tenant: "nobody"))
            #expect(unknown.status == 404)
            #expect(unknown.json["error"] as? String == "unknown_tenant")
            let past = try Self.usage(connection, "/v1/usage?tenant=mem&metric=calls&grain=day&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z")
            #expect(past.status == 200, "\(past.body)")
            #expect(past.series.isEmpty)
            let otherMetric = try Self.usage(connection, Self.path(tenant: "mem", metric: "never-sent"))
            #expect(otherMetric.status == 200)
            #expect(otherMetric.series.isEmpty)

            // Bad parameters: 400 with the reason; no token: 401.
            let badGrain = try Self.usage(connection, "/v1/usage?tenant=mem&grain=week&from=0&to=10")
            #expect(badGrain.status == 400)
            #expect(badGrain.json["error"] as? String == "bad_grain")
            let tooLong = try Self.usage(connection, "/v1/usage?tenant=mem&grain=hour&from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")
            #expect(tooLong.json["error"] as? String == "range_too_large")
            #expect(try Self.usage(connection, Self.path(tenant: "mem"), token: nil).status == 401)

            #expect(try daemon.metric(#"meterd_usage_requests_total{outcome="ok"}"#) == 5)
            #expect(try daemon.metric(#"meterd_usage_requests_total{outcome="unknown_tenant"}"#) == 1)
            #expect(try daemon.metric(#"meterd_usage_requests_total{outcome="bad_request"}"#) == 2)
            #expect(try daemon.metric(#"meterd_usage_request_seconds_count"#) == 8)
        }
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func flushedAndUnflushedEventsAddUpExactly() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let daemon = try DaemonProcess(arguments: ["--postgres", url], flushInterval: "1", unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            let database = try connect()
            let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
            defer { close(tcp) }
            try Self.step(tcp, tenant: "half", count: 30, label: "first")
            try daemon.poll(timeout: 20, what: "the first events flushed") { try Self.flushedEvents(database, tenant: "half") == 30 }
            try Self.step(tcp, tenant: "half", count: 12, label: "second")
            let connection = try Connection(port: daemon.httpPort)
            let answer = try Self.usage(connection, Self.path(tenant: "half"))
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.events == 42)
            #expect(answer.sum == 21)
        }
    }

    /// Queries between steps of events while flushes run every 50 ms: each answer after a step's
    /// barrier equals the total sent so far, whichever place each delta was in at the time.
    static func queriesTrackTheKnownTotal(_ daemon: DaemonProcess, steps: Int) throws {
        let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
        defer { close(tcp) }
        let connection = try Connection(port: daemon.httpPort)
        var sent = 0
        var mismatches: [String] = []
        for step in 1...steps {
            let count = 20 + step % 13
            try Self.step(tcp, tenant: "flow", count: count, label: "step\(step)")
            sent += count
            for _ in 0..<3 {
                let answer = try Self.usage(connection, Self.path(tenant: "flow"))
                if answer.status != 200 || answer.events != sent || answer.sum != Decimal(sent) / 2 {
                    mismatches.append("step \(step): status \(answer.status), events \(answer.events), sum \(answer.sum), sent \(sent)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) answers differ from the total sent: \(mismatches.prefix(5))")
        #expect(try daemon.metric("meterd_flush_seconds_count") ?? 0 > 5, "flushes ran meanwhile")
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func answersEqualTheKnownTotalWhileFlushesRunWithPostgreSQL() throws {
        try MeterdPostgresTests.withFreshDatabase { url, _ in
            let daemon = try DaemonProcess(arguments: ["--postgres", url], flushInterval: "0.05", unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady()
            try Self.queriesTrackTheKnownTotal(daemon, steps: 60)
        }
    }

    @Test func answersEqualTheKnownTotalWhileFlushesRunInMemory() throws {
        let daemon = try DaemonProcess(flushInterval: "0.05", unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        try Self.queriesTrackTheKnownTotal(daemon, steps: 60)
        let connection = try Connection(port: daemon.httpPort)
        #expect(try Self.usage(connection, Self.path(tenant: "nobody")).status == 404)
    }

    @Test func meterctlUsagePrintsTheAnswerAsATableAndAsJSON() throws {
        let daemon = try DaemonProcess(flushInterval: "3600", unix: false)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
        defer { close(tcp) }
        try Self.step(tcp, tenant: "ctl", count: 4, label: "ctl")
        let api = ["--http", "127.0.0.1:\(daemon.httpPort)", "--token", TestSockets.apiToken]
        let table = try MeterctlEndToEndTests.meterctl(["usage", "--tenant", "ctl", "--metric", "calls", "--dim", "model=m0"] + api)
        #expect(table.status == 0, "\(table.err)")
        #expect(table.out.contains("calls   counter  model=m0"), "\(table.out)")
        #expect(table.out.split(separator: "\n").contains { $0.contains(" total ") && $0.contains(#/ 1 +sum 0\.5$/#) }, "\(table.out)")
        let json = try MeterctlEndToEndTests.meterctl(["usage", "--tenant", "ctl", "--json"] + api)
        #expect(json.status == 0)
        #expect(Usage(status: 200, body: json.out).events == 4)
        let unknown = try MeterctlEndToEndTests.meterctl(["usage", "--tenant", "nobody"] + api)
        #expect(unknown.status == 1)
        #expect(unknown.err.contains("404"))
        let latency = try MeterctlEndToEndTests.meterctl(["http-latency", "--count", "5", "--duration", "10", Self.path(tenant: "ctl"), "/healthz"] + api)
        #expect(latency.status == 0, "\(latency.err)")
        #expect(latency.out.contains("requests=5 "), "\(latency.out)")
        #expect(latency.out.contains("statuses=200:5"), "\(latency.out)")
    }
}
