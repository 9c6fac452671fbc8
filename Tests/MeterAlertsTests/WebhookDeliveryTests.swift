import Foundation
import Logging
import MeterPostgres
import MeterTestSupport
import Synchronization
import Testing
@testable import MeterAlerts

/// Alerts through the dispatcher to a webhook receiver the test runs, with real PostgreSQL.
@Suite(.enabled(if: TestServices.hasPostgres, TestServices.skipMessage))
struct WebhookDeliveryTests {
    let secret = "test-secret-\(UInt64.random(in: 0 ... .max))"
    let logger = Logger(label: "alerts-test")

    func webhook(_ url: String) -> WebhookSink { WebhookSink(url: url, secret: secret, timeout: .seconds(2)) }

    @Test func alertIsDeliveredOnceSignedAndMarkedDelivered() async throws {
        try await TestServices.withFreshDatabase { connect in
            let receiver = WebhookReceiver(secret: secret)
            let url = try receiver.start()
            defer { receiver.stop() }
            let dispatcher = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                             sinks: [webhook(url)], logger: logger)
            dispatcher.start()
            let alert = sampleAlert(.warning80)
            #expect(dispatcher.record([alert]))
            #expect(await receiver.waitFor { $0.count == 1 })
            #expect(try await TestServices.eventually { try TestServices.deliveries(connect)["\(alert.id)/webhook"]?.state == "delivered" })
            let request = try #require(receiver.requests.first)
            #expect(request.verdict == .valid)
            #expect(request.alertID == alert.id)
            #expect(request.body == alert.json)
            // Recording the same alert again (a later event past the same level) fires nothing.
            dispatcher.record([alert])
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.requests.count == 1)
            await dispatcher.stop(within: .seconds(5))
        }
    }

    @Test func failingReceiverIsRetriedUntilDelivered() async throws {
        try await TestServices.withFreshDatabase { connect in
            let receiver = WebhookReceiver(secret: secret) { $0 < 3 ? 503 : 200 }
            let url = try receiver.start()
            defer { receiver.stop() }
            let dispatcher = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                             sinks: [webhook(url)], logger: logger)
            dispatcher.start()
            let alert = sampleAlert(.warning90)
            dispatcher.record([alert])
            #expect(try await TestServices.eventually { try TestServices.deliveries(connect)["\(alert.id)/webhook"]?.state == "delivered" })
            #expect(receiver.requests.map(\.status) == [503, 503, 503, 200])
            #expect(Set(receiver.requests.map(\.alertID)) == [alert.id], "every retry carries the same id")
            #expect(receiver.requests.allSatisfy { $0.verdict == .valid })
            #expect(try TestServices.deliveries(connect)["\(alert.id)/webhook"]?.attempts == 4)
            #expect(dispatcher.runner(named: "webhook")?.retriedCount.load(ordering: .relaxed) == 3)
            await dispatcher.stop(within: .seconds(5))
        }
    }

    @Test func permanentClientErrorIsNotRetried() async throws {
        try await TestServices.withFreshDatabase { connect in
            let receiver = WebhookReceiver(secret: secret) { _ in 400 }
            let url = try receiver.start()
            defer { receiver.stop() }
            let dispatcher = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                             sinks: [webhook(url)], logger: logger)
            dispatcher.start()
            let alert = sampleAlert(.exhausted100)
            dispatcher.record([alert])
            #expect(try await TestServices.eventually { try TestServices.deliveries(connect)["\(alert.id)/webhook"]?.state == "failed" })
            let row = try #require(try TestServices.deliveries(connect)["\(alert.id)/webhook"])
            #expect(row.attempts == 1 && row.error == "http_4xx")
            try await Task.sleep(for: .milliseconds(600))  // several back-off periods of the test schedule
            #expect(receiver.requests.count == 1)
            #expect(dispatcher.runner(named: "webhook")?.failedCount.load(ordering: .relaxed) == 1)
            await dispatcher.stop(within: .seconds(5))
        }
    }

    @Test func severalLevelsAreAllRecordedAndHighestDeliveredFirst() async throws {
        try await TestServices.withFreshDatabase { connect in
            let receiver = WebhookReceiver(secret: secret)
            let url = try receiver.start()
            defer { receiver.stop() }
            let dispatcher = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                             sinks: [webhook(url)], logger: logger)
            dispatcher.start()
            let alerts = [sampleAlert(.warning80), sampleAlert(.warning90), sampleAlert(.exhausted100)]
            dispatcher.record(alerts)
            #expect(await receiver.waitFor { $0.count == 3 })
            #expect(receiver.requests.map(\.alertID) == [alerts[2].id, alerts[1].id, alerts[0].id])
            let fired = try connect().execute("SELECT level FROM meterd.alerts_fired ORDER BY level").rows.map { $0[0] }
            #expect(fired == ["80", "90", "100"])
            await dispatcher.stop(within: .seconds(5))
        }
    }

    /// Two instances (two dispatchers on two connections) record the same crossing at the same
    /// time: one row, one delivery.
    @Test func twoInstancesRecordingTheSameAlertDeliverOnce() async throws {
        try await TestServices.withFreshDatabase { connect in
            let receiver = WebhookReceiver(secret: secret)
            let url = try receiver.start()
            defer { receiver.stop() }
            let first = AlertDispatcher(configuration: TestServices.configuration(instance: "a"), connect: connect,
                                        sinks: [webhook(url)], logger: logger)
            let second = AlertDispatcher(configuration: TestServices.configuration(instance: "b"), connect: connect,
                                         sinks: [webhook(url)], logger: logger)
            first.start()
            second.start()
            let alerts = (0..<20).map { sampleAlert(.warning80, tenant: "tenant-\($0)") }
            for alert in alerts {
                first.record([alert])
                second.record([alert])
            }
            #expect(await receiver.waitFor { $0.count >= 20 })
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.requests.count == 20)
            #expect(Set(receiver.requests.compactMap(\.alertID)) == Set(alerts.map(\.id)))
            let count = try connect().execute("SELECT count(*) FROM meterd.alerts_fired").rows[0][0]
            #expect(count == "20")
            await first.stop(within: .seconds(5))
            await second.stop(within: .seconds(5))
        }
    }

    /// The receiver is down while the alert fires; the instance restarts; the new dispatcher
    /// finds the pending outbox row and delivers it, once. A second restart sends nothing.
    @Test func pendingDeliveryIsRetriedAfterARestart() async throws {
        try await TestServices.withFreshDatabase { connect in
            let receiver = WebhookReceiver(secret: secret)
            let url = try receiver.start()
            let port = Int(URL(string: url)!.port!)
            receiver.stop()  // nothing listens: connection refused
            let alert = sampleAlert(.exhausted100)
            let before = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                         sinks: [webhook(url)], logger: logger)
            before.start()
            before.record([alert])
            #expect(try await TestServices.eventually { (before.runner(named: "webhook")?.retriedCount.load(ordering: .relaxed) ?? 0) >= 1 })
            await before.stop(within: .seconds(5))
            #expect(try TestServices.deliveries(connect)["\(alert.id)/webhook"]?.state == "pending")

            let revived = WebhookReceiver(secret: secret)
            _ = try revived.start(port: port)
            defer { revived.stop() }
            let after = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                        sinks: [webhook(url)], logger: logger)
            after.start()
            #expect(await revived.waitFor { $0.count == 1 })
            #expect(try await TestServices.eventually { try TestServices.deliveries(connect)["\(alert.id)/webhook"]?.state == "delivered" })
            #expect(revived.requests.first?.alertID == alert.id && revived.requests.first?.body == alert.json)
            // The evaluation after the restart sees the same crossing again: not fired again.
            after.record([alert])
            await after.stop(within: .seconds(5))

            let third = AlertDispatcher(configuration: TestServices.configuration(), connect: connect,
                                        sinks: [webhook(url)], logger: logger)
            third.start()
            #expect(try await TestServices.eventually { third.hasRecovered })
            try await Task.sleep(for: .milliseconds(500))
            #expect(revived.requests.count == 1)
            await third.stop(within: .seconds(5))
        }
    }

    @Test func pendingRowsPastTheHorizonAreGivenUp() async throws {
        try await TestServices.withFreshDatabase { connect in
            let alert = sampleAlert(.warning80)
            let fired = alert.fired
            _ = try AlertSQL.record([fired], instance: "test-instance", sinks: ["webhook"], on: try connect())
            try connect().execute("UPDATE meterd.alerts_fired SET fired_at = now() - interval '2 hours'")
            let receiver = WebhookReceiver(secret: secret)
            let url = try receiver.start()
            defer { receiver.stop() }
            let dispatcher = AlertDispatcher(configuration: TestServices.configuration(horizon: .seconds(3600)), connect: connect,
                                             sinks: [webhook(url)], logger: logger)
            dispatcher.start()
            #expect(try await TestServices.eventually { dispatcher.hasRecovered })
            let row = try #require(try TestServices.deliveries(connect)["\(alert.id)/webhook"])
            #expect(row.state == "failed" && row.error == "retry horizon passed")
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.requests.isEmpty)
            await dispatcher.stop(within: .seconds(5))
        }
    }
}
