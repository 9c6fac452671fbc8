/// When a failed delivery is tried again: exponential back-off from `initialDelay`, doubling up
/// to `maxDelay`, with "equal jitter" (a random cut of up to half the delay, so instances and
/// sinks that failed together do not retry in step), and never past `horizon` after the alert
/// was fired: then the delivery is given up (counted, reason `expired`).
public struct RetrySchedule: Sendable, Hashable {
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var horizon: Duration

    public init(initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(60),
                horizon: Duration = .seconds(3600)) {
        precondition(initialDelay > .zero && maxDelay >= initialDelay && horizon > .zero, "a retry schedule needs positive, ordered delays")
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.horizon = horizon
    }

    /// The delay before attempt `failures + 1`, after `failures` (>= 1) failed attempts;
    /// `random` is uniform in 0...UInt64.max (injected, so tests can pin it).
    public func delay(afterFailures failures: Int, random: UInt64) -> Duration {
        precondition(failures >= 1)
        var full = initialDelay
        for _ in 1..<min(failures, 63) where full < maxDelay { full = full * 2 }
        full = min(full, maxDelay)
        let half = full / 2
        // Uniform in [half, full]: the random fraction of the other half.
        let fraction = Double(random) / Double(UInt64.max)
        return half + half * fraction
    }

    /// Whether another attempt `delay` from now still falls within the horizon of an alert
    /// fired `elapsed` ago.
    public func allowsRetry(elapsed: Duration, delay: Duration) -> Bool {
        elapsed + delay <= horizon
    }
}
