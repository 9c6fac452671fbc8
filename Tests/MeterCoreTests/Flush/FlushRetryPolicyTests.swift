import MeterCore
import Testing

@Suite struct FlushRetryPolicyTests {
    @Test func backoffDoublesUpToTheCapAndResets() {
        var policy = FlushRetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(5), jitterFraction: 0)
        var random = SplitMix64(seed: 1)
        let delays = (0..<9).map { _ in policy.failed(using: &random) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                           .milliseconds(1_600), .milliseconds(3_200), .seconds(5), .seconds(5), .seconds(5)])
        #expect(policy.consecutiveFailures == 9)
        policy.succeeded()
        #expect(policy.consecutiveFailures == 0)
        #expect(policy.failed(using: &random) == .milliseconds(100))
    }

    @Test func hugeFailureCountsDoNotOverflow() {
        let policy = FlushRetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .seconds(60))
        #expect(policy.baseDelay(afterFailures: 10_000) == .seconds(60))
        #expect(policy.baseDelay(afterFailures: 0) == .zero)
    }

    @Test func jitterStaysWithinItsBandAndIsSeeded() {
        var first = FlushRetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(1), jitterFraction: 0.5)
        var second = first
        var randomA = SplitMix64(seed: 42), randomB = SplitMix64(seed: 42)
        var seen = Set<Duration>()
        for _ in 0..<1_000 {
            let delay = first.failed(using: &randomA)
            #expect(delay >= .milliseconds(500) && delay <= .seconds(1))
            #expect(delay == second.failed(using: &randomB), "same seed, same delays")
            seen.insert(delay)
        }
        #expect(seen.count > 900, "jitter spreads instances apart")
    }
}
