/// When to retry a failed flush: exponential backoff with a cap and jitter.
///
/// A value-type state machine with no clock and no sleeping: the flusher (MeterIngest
/// `Flusher`) calls `failed(using:)` after a failed write and waits the returned delay (on its
/// own clock), and `succeeded()` after a committed one. Flushes never give up: deltas stay in
/// memory, folded by row (`PendingRollups`), until the database is back;
/// `consecutiveFailures` feeds the metrics and the outage log lines.
///
/// Delay after the n-th consecutive failure: `base = min(initialDelay * 2^(n-1), maximumDelay)`,
/// then "equal jitter": a uniform value in `[base * (1 - jitterFraction), base]`, so instances
/// that lost the database together do not come back in lockstep.
public struct FlushRetryPolicy: Sendable, Hashable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// Part of each delay that is random, 0...1.
    public var jitterFraction: Double
    public private(set) var consecutiveFailures = 0

    public init(initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(30),
                jitterFraction: Double = 0.5) {
        precondition(initialDelay > .zero && maximumDelay >= initialDelay, "invalid backoff delays")
        precondition((0...1).contains(jitterFraction), "jitterFraction must be within 0...1")
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitterFraction = jitterFraction
    }

    /// The delay before the next attempt, without jitter, after `failures` consecutive failures.
    public func baseDelay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = initialDelay
        var doublings = failures - 1
        while doublings > 0 && delay < maximumDelay {
            delay *= 2
            doublings -= 1
        }
        return min(delay, maximumDelay)
    }

    /// Records a failure and returns how long to wait before the next attempt.
    public mutating func failed(using random: inout some RandomNumberGenerator) -> Duration {
        consecutiveFailures += 1
        let base = baseDelay(afterFailures: consecutiveFailures)
        let baseNanoseconds = Self.nanoseconds(base)
        let jitterNanoseconds = Int64((Double(baseNanoseconds) * jitterFraction).rounded(.down))
        guard jitterNanoseconds > 0 else { return base }
        let cut = Int64.random(in: 0...jitterNanoseconds, using: &random)
        return .nanoseconds(baseNanoseconds - cut)
    }

    /// Records a committed flush: the next failure starts from `initialDelay` again.
    public mutating func succeeded() {
        consecutiveFailures = 0
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
