import Testing
@testable import MeterAlerts

@Suite struct RetryScheduleTests {
    let schedule = RetrySchedule(initialDelay: .milliseconds(500), maxDelay: .seconds(60), horizon: .seconds(3600))

    @Test func delaysDoubleUpToTheCapWithEqualJitter() {
        // random = max: the full delay; random = 0: half of it.
        let full = (1...10).map { schedule.delay(afterFailures: $0, random: .max) }
        #expect(full == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
                         .seconds(32), .seconds(60), .seconds(60), .seconds(60)])
        let half = (1...3).map { schedule.delay(afterFailures: $0, random: 0) }
        #expect(half == [.milliseconds(250), .milliseconds(500), .seconds(1)])
        #expect(schedule.delay(afterFailures: 1_000, random: .max) == .seconds(60))
        for _ in 0..<100 {
            let delay = schedule.delay(afterFailures: 4, random: UInt64.random(in: 0 ... .max))
            #expect(delay >= .seconds(2) && delay <= .seconds(4))
        }
    }

    @Test func retriesStopAtTheHorizon() {
        #expect(schedule.allowsRetry(elapsed: .seconds(3000), delay: .seconds(600)))
        #expect(!schedule.allowsRetry(elapsed: .seconds(3000), delay: .seconds(601)))
    }

    @Test func webhookStatusClassification() {
        #expect(WebhookSink.outcome(status: 200) == .delivered)
        #expect(WebhookSink.outcome(status: 204) == .delivered)
        #expect(WebhookSink.outcome(status: 400) == .permanent(reason: "http_4xx"))
        #expect(WebhookSink.outcome(status: 404) == .permanent(reason: "http_4xx"))
        #expect(WebhookSink.outcome(status: 408) == .retry(reason: "http_408"))
        #expect(WebhookSink.outcome(status: 429) == .retry(reason: "http_429"))
        #expect(WebhookSink.outcome(status: 503) == .retry(reason: "http_5xx"))
        #expect(WebhookSink.outcome(status: 302) == .permanent(reason: "http_3xx"))
    }
}
