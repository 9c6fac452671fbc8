import Synchronization

/// The flusher's state for metrics, logs and liveness checks: when it last wrote, what is still
/// pending, how many writes failed, and when the aggregation loop last turned.
public final class FlushStats: Sendable {
    private struct State {
        var lastSuccess = monotonicSeconds()
        var lastLoopIteration = monotonicSeconds()
        var pendingRows = 0
        var flushes = 0
        var failures = 0
        var consecutiveFailures = 0
    }
    private let state = Mutex(State())

    public init() {}

    func recordSuccess(pendingRows: Int) {
        state.withLock {
            $0.lastSuccess = monotonicSeconds()
            $0.pendingRows = pendingRows
            $0.flushes += 1
            $0.consecutiveFailures = 0
        }
    }

    func recordFailure(pendingRows: Int, consecutive: Int) {
        state.withLock {
            $0.pendingRows = pendingRows
            $0.failures += 1
            $0.consecutiveFailures = consecutive
        }
    }

    func recordPending(rows: Int) {
        state.withLock { $0.pendingRows = rows }
    }

    /// Called on every turn of the aggregation loop, whether or not the database answers.
    func recordLoopIteration() {
        let now = monotonicSeconds()
        state.withLock { $0.lastLoopIteration = now }
    }

    /// Seconds since the last successful write (or since start).
    public var lagSeconds: Double { monotonicSeconds() - state.withLock { $0.lastSuccess } }
    /// Rows (series x grain x bucket) collected but not yet committed.
    public var pendingRows: Int { state.withLock { $0.pendingRows } }
    /// Failed writes since start.
    public var failures: Int { state.withLock { $0.failures } }
    /// Failed writes since the last committed one (0 while flushes succeed).
    public var consecutiveFailures: Int { state.withLock { $0.consecutiveFailures } }
    /// Successful writes since start.
    public var flushes: Int { state.withLock { $0.flushes } }
    /// Monotonic time (`CLOCK_MONOTONIC` seconds) of the aggregation loop's last turn: the loop
    /// turns every 20 ms or faster, database outage or not (writes run on their own thread),
    /// so a value that stops moving means the loop is wedged. For a systemd watchdog.
    public var lastLoopIteration: Double { state.withLock { $0.lastLoopIteration } }
    /// Seconds since the aggregation loop's last turn.
    public var loopStallSeconds: Double { monotonicSeconds() - lastLoopIteration }
}
