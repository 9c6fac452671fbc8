import Synchronization

/// Lets the aggregation loop sleep until its next tick or until a usage query arrives,
/// whichever comes first: a query must not wait for the 20 ms tick (docs/queries.md "Latency").
final class LoopWake: Sendable {
    private struct State {
        /// A signal that came while nobody waited: the next wait returns at once.
        var signaled = false
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var lastID = 0
    }
    private let state = Mutex(State())

    /// Ends the current wait, or the next one.
    func signal() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            if state.waiter == nil { state.signaled = true }
            return state.waiter
        }
        waiter?.continuation.resume()
    }

    /// Returns after `timeout`, or earlier at a `signal`. One waiter at a time.
    func wait(upTo timeout: Duration) async {
        let id = state.withLock { state -> Int? in
            if state.signaled {
                state.signaled = false
                return nil
            }
            state.lastID += 1
            return state.lastID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.expire(id)  // also when cancelled: the wait must end either way
            }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signaled || state.lastID != id {
                        state.signaled = false
                        return true
                    }
                    state.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            group.cancelAll()
        }
    }

    /// Ends wait `id` if it is still waiting (a late timeout of an earlier wait does nothing).
    private func expire(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter, waiter.id == id {
                state.waiter = nil
                return waiter.continuation
            }
            // Timed out before the waiter was installed: make the install return at once.
            if state.waiter == nil && state.lastID == id { state.lastID += 1 }
            return nil
        }
        waiter?.resume()
    }
}
