import Foundation
import MeterAlerts
import MeterPostgres
import MeterRedis
import MeterTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Threshold alerts and entitlement checks against the real binary, real PostgreSQL and Redis
/// (docs/quotas.md): each level fires once through the webhook (signature verified), Redis
/// pub/sub and NOTIFY, highest first when crossed together; a kill -9 and a clean restart in the
/// middle re-fire nothing; a tenant subscribed after its events were counted is seeded with
/// them; `#check`, `GET /v1/entitlement`, `/v1/forecast` and `meterctl check` answer the usage.
@Suite(.timeLimit(.minutes(3)))
struct MeterdQuotaAlertsTests {
    static var isConfigured: Bool { MeterdPostgresTests.isConfigured && MeterdRedisTests.isConfigured }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    static func eventually(_ timeout: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// The `level` and `used` of an alert's JSON body.
    static func levelAndUsed(_ body: String) -> (level: Int, used: String)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let level = object["level"] as? Int, let used = object["used"] as? String else { return nil }
        return (level, used)
    }

    /// `lines` then a barrier on `fd`: every line accepted.
    static func send(_ fd: Int32, _ lines: [String], token: String) throws {
        let answer = try #require(try SyncAnswer.exchange(fd, lines: lines, token: token))
        #expect(answer.accepted == lines.count && answer.refused == 0, "\(answer)")
    }

    /// The `#checked` answer to `#check tenant metric` on `fd`.
    static func check(_ fd: Int32, _ tenant: String, _ metric: String) throws -> String {
        try TestSockets.writeAll(fd, Array("#check \(tenant) \(metric)\n".utf8))
        return SyncBarrierEndToEndTests.readLines(fd, count: 1, timeout: 10).first ?? "no answer"
    }

    @Test(.enabled(if: isConfigured, "METERD_TEST_POSTGRES_URL or METERD_TEST_REDIS_URL is unset: run scripts/test.sh"))
    func levelsFireOnceThroughEverySinkAcrossRestartsAndChecksAnswerTheUsage() throws {
        let redisURL = try #require(MeterdRedisTests.url)
        let suffix = "\(getpid())_\(UInt32.random(in: 0 ... .max))"
        let secret = "quota-e2e-secret-\(suffix)"
        let receiver = WebhookReceiver(secret: secret)
        let hook = try receiver.start()
        defer { receiver.stop() }
        let redisChannel = "meterd-e2e-alerts-\(suffix)"
        let notifyChannel = "meterd_e2e_alerts_\(suffix)"
        let subscriber = try RedisConnection(url: redisURL, commandTimeout: .seconds(10))
        _ = try subscriber.command(["SUBSCRIBE", redisChannel])
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-quota-\(suffix)")
        defer { try? FileManager.default.removeItem(at: data) }

        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let database = try connect()
            let listener = try connect()
            try listener.listen(notifyChannel)
            let arguments = [
                "--postgres", url, "--redis", redisURL, "--data-dir", data.path,
                "--set", "plans.file=\(MeterdPlansTests.shippedPlans.path)", "--set", "plans.refresh_seconds=0.2",
                "--set", "alerts.webhook_url=\(hook)", "--set", "alerts.redis_channel=\(redisChannel)",
                "--set", "alerts.notify_channel=\(notifyChannel)",
            ]
            let environment = ["METERD_ALERTS_WEBHOOK_SECRET": secret]
            var started: [DaemonProcess] = []
            defer { for daemon in started { daemon.stop() } }
            func start(seeded tenants: Int) throws -> DaemonProcess {
                let daemon = try DaemonProcess(arguments: arguments, flushInterval: "0.2", unix: false, environment: environment)
                started.append(daemon)
                try daemon.waitUntilReady(timeout: 20)
                try daemon.poll(timeout: 20, what: "\(tenants) tenants seeded") {
                    try daemon.metric("meterd_quota_seeded_tenants") == Double(tenants)
                }
                return daemon
            }
            // meterd writes the file's catalog to PostgreSQL; then acme subscribes.
            let first = try start(seeded: 0)
            try first.poll(timeout: 20, what: "the catalog in PostgreSQL") {
                try first.metric(#"meterd_plan_book_refreshes_total{result="ok"}"#) ?? 0 >= 1
            }
            try database.execute("SELECT meterd.set_subscription('acme', 'starter')")  // 1000 ai_interactions, 0.05 overage
            try first.poll(timeout: 20, what: "acme seeded") { try first.metric("meterd_quota_seeded_tenants") == 1 }

            var fd = try TestSockets.connectTCP(port: first.tcpPort)
            try Self.send(fd, Array(repeating: "ai_interactions:10|c|#tenant:acme", count: 79), token: "a")
            #expect(try Self.check(fd, "acme", "ai_interactions").hasPrefix(
                "#checked acme ai_interactions allowed=yes reason=within_quota used=790 limit=1000 remaining=210 plan=starter period_start="))
            try Self.send(fd, ["ai_interactions:15|c|#tenant:acme"], token: "b")  // 805: 80%
            #expect(try Self.eventually { receiver.accepted.count == 1 }, "the 80% alert")
            #expect(receiver.accepted.map { Self.levelAndUsed($0.body)?.level } == [80])
            #expect(receiver.requests.allSatisfy { $0.verdict == .valid })

            // The HTTP and meterctl answers.
            let entitlement = try TestSockets.get(port: first.httpPort, "/v1/entitlement?tenant=acme&metric=ai_interactions")
            #expect(entitlement.status == 200)
            #expect(entitlement.body.contains(#""allowed":true,"within_quota":true,"reason":"within_quota","used":"805","limit":"1000","unlimited":false,"remaining":"195","overage_price":"0.05""#), "\(entitlement.body)")
            let forecast = try TestSockets.get(port: first.httpPort, "/v1/forecast?tenant=acme&metric=ai_interactions")
            #expect(forecast.status == 200 && forecast.body.contains(#""forecast":{"method":"linear","projected":""#), "\(forecast.body)")
            #expect(try TestSockets.get(port: first.httpPort, "/v1/entitlement?tenant=nobody&metric=x").status == 404)
            #expect(try TestSockets.get(port: first.httpPort, "/v1/entitlement?tenant=acme").status == 400)
            #expect(try TestSockets.get(port: first.httpPort, "/v1/entitlement?tenant=acme&metric=x", token: nil).status == 401)
            let meterctl = try MeterctlEndToEndTests.meterctl(["check", "acme", "ai_interactions", "--tcp", "127.0.0.1:\(first.tcpPort)"])
            #expect(meterctl.status == 0 && meterctl.out.contains("used       805") && meterctl.out.contains("allowed    yes (within_quota)"),
                    "\(meterctl.out) \(meterctl.err)")
            #expect(try MeterctlEndToEndTests.meterctl(["check", "acme", "sms_messages", "--tcp", "127.0.0.1:\(first.tcpPort)"]).status == 0)
            #expect(try Self.check(fd, "acme", "coding_agent_runs").contains("allowed=no reason=not_in_plan"))
            close(fd)

            // kill -9 in the middle: the restarted daemon reads 805 back (WAL replay and
            // PostgreSQL) and hands level 80 to the record again, which refuses to fire it twice.
            kill(first.process.processIdentifier, SIGKILL)
            first.process.waitUntilExit()
            let second = try start(seeded: 1)
            fd = try TestSockets.connectTCP(port: second.tcpPort)
            #expect(try Self.check(fd, "acme", "ai_interactions").contains(" used=805 "))
            try second.poll(timeout: 20, what: "the 80% level recorded again, as already fired") {
                try second.metric(#"meterd_alerts_recorded_total{result="already_fired"}"#) == 1
            }
            #expect(receiver.accepted.count == 1)

            try Self.send(fd, ["ai_interactions:200|c|#tenant:acme"], token: "c")  // 1005: 90 and 100 at once
            #expect(try Self.eventually { receiver.accepted.count == 3 }, "the 90% and 100% alerts")
            #expect(receiver.accepted.compactMap { Self.levelAndUsed($0.body)?.level } == [80, 100, 90], "highest first")
            #expect(try Self.check(fd, "acme", "ai_interactions").contains("allowed=yes reason=overage_billed used=1005 limit=1000 remaining=0"))

            // A tenant counted before it had a subscription: seeded with what it used.
            try Self.send(fd, ["sms_messages:600|c|#tenant:globex"], token: "d")  // starter: 500 included
            #expect(try Self.check(fd, "globex", "sms_messages") == "#checked globex sms_messages allowed=no reason=no_subscription")
            try database.execute("SELECT meterd.set_subscription('globex', 'starter')")
            try second.poll(timeout: 20, what: "globex seeded") { try second.metric("meterd_quota_seeded_tenants") == 2 }
            #expect(try Self.eventually { receiver.accepted.count == 6 }, "globex's three levels")
            #expect(receiver.accepted.dropFirst(3).compactMap { Self.levelAndUsed($0.body)?.level } == [100, 90, 80])
            close(fd)

            // A clean restart re-fires nothing either.
            #expect(try second.terminate() == 0)
            let third = try start(seeded: 2)
            try third.poll(timeout: 20, what: "every level recorded again, as already fired") {
                try third.metric(#"meterd_alerts_recorded_total{result="already_fired"}"#) == 6
            }
            usleep(300_000)
            #expect(receiver.accepted.count == 6)
            #expect(Set(receiver.accepted.compactMap(\.alertID)).count == 6)

            // Redis pub/sub and NOTIFY carried the same six alerts, once each, in the same order.
            let bodies = receiver.accepted.map(\.body)
            var published: [String] = []
            for _ in 0..<6 {
                guard case .array(let parts) = try subscriber.nextPushedReply(), parts.count == 3 else { break }
                published.append(parts[2].string ?? "")
            }
            #expect(published == bodies)
            var notified: [String] = []
            while notified.count < 6, let notification = try listener.nextNotification(timeout: .seconds(10)) {
                notified.append(notification.payload)
            }
            #expect(notified == bodies)
            #expect(try listener.nextNotification(timeout: .milliseconds(300)) == nil)
            #expect(try third.terminate() == 0)
        }
    }
}
