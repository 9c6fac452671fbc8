import Synchronization

/// The flusher's state for metrics and logs: when it last wrote, and what is still unwritten.
public final class FlushStats: Sendable {
    private struct State {
        var lastSuccess = monotonicSeconds()
        var unwrittenDeltas = 0
        var flushes = 0
        var failures = 0
    }
    private let state = Mutex(State())

    public init() {}

    func recordSuccess() {
        state.withLock {
            $0.lastSuccess = monotonicSeconds()
            $0.unwrittenDeltas = 0
            $0.flushes += 1
        }
    }

    func recordFailure(unwritten: Int) {
        state.withLock {
            $0.unwrittenDeltas = unwritten
            $0.failures += 1
        }
    }

    /// Seconds since the last successful write (or since start).
    public var lagSeconds: Double { monotonicSeconds() - state.withLock { $0.lastSuccess } }
    public var unwrittenDeltas: Int { state.withLock { $0.unwrittenDeltas } }
    public var failures: Int { state.withLock { $0.failures } }
}
