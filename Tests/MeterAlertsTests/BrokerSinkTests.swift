import Foundation
import Logging
import MeterPostgres
import MeterRedis
import Testing
@testable import MeterAlerts

/// Redis pub/sub and PostgreSQL NOTIFY: a subscriber and a listener the test runs receive
/// the alert's JSON once.
@Suite(.enabled(if: TestServices.hasBoth, TestServices.skipMessage))
struct BrokerSinkTests {
    let logger = Logger(label: "alerts-test")

    @Test func redisSubscriberAndPostgresListenerReceiveTheAlert() async throws {
        try await TestServices.withFreshDatabase { connect in
            let channel = "meterd-test-alerts-\(UInt64.random(in: 0 ... .max))"
            let subscriber = try RedisConnection(url: TestServices.redisURL!, commandTimeout: .seconds(10))
            let subscribed = try subscriber.command(["SUBSCRIBE", channel])
            #expect(subscribed == .array([.bulk(Array("subscribe".utf8)), .bulk(Array(channel.utf8)), .integer(1)]))
            let listener = try connect()
            try listener.listen("meterd_alerts_test")

            let endpoint = try RedisEndpoint(url: TestServices.redisURL!)
            let dispatcher = AlertDispatcher(
                configuration: TestServices.configuration(), connect: connect,
                sinks: [RedisPublishSink(endpoint: endpoint, channel: channel, timeout: .seconds(2)),
                        NotifySink(channel: "meterd_alerts_test", connect: connect)],
                logger: logger)
            dispatcher.start()
            let alerts = [sampleAlert(.warning90), sampleAlert(.exhausted100)]
            dispatcher.record(alerts)
            dispatcher.record(alerts)  // a second evaluation of the same crossings: nothing more

            var published: [String] = []
            for _ in 0..<2 {
                let message = try subscriber.nextPushedReply()
                guard case .array(let parts) = message, parts.count == 3 else { Issue.record("unexpected \(message)"); break }
                #expect(parts[0].string == "message" && parts[1].string == channel)
                published.append(parts[2].string ?? "")
            }
            #expect(published == [alerts[1].json, alerts[0].json], "highest level first")

            var notified: [PostgresNotification] = []
            while notified.count < 2, let notification = try listener.nextNotification(timeout: .seconds(10)) {
                notified.append(notification)
            }
            #expect(notified.map(\.payload) == [alerts[1].json, alerts[0].json])
            #expect(notified.allSatisfy { $0.channel == "meterd_alerts_test" })
            #expect(try await TestServices.eventually {
                try TestServices.deliveries(connect).values.filter { $0.state == "delivered" }.count == 4
            })
            // Nothing further arrives: each alert went once to each sink.
            #expect(try listener.nextNotification(timeout: .milliseconds(500)) == nil)
            await dispatcher.stop(within: .seconds(5))
        }
    }
}
