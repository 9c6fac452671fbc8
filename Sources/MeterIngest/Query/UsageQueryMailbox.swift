import Synchronization

/// Usage queries waiting for the aggregation loop, which serves them between flush rounds
/// (docs/queries.md). Posting wakes the loop at once.
public final class UsageQueryMailbox: Sendable {
    struct Query: Sendable {
        let request: UsageRequest
        let continuation: CheckedContinuation<UsageAnswer, any Error>
    }
    private struct State {
        var queries: [Query] = []
        var closed = false
    }
    private let state = Mutex(State())
    let wake = LoopWake()

    init() {}

    /// Runs the query on the aggregation loop and returns its answer.
    func ask(_ request: UsageRequest) async throws -> UsageAnswer {
        try await withCheckedThrowingContinuation { continuation in
            let posted = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.queries.append(Query(request: request, continuation: continuation))
                return true
            }
            if posted {
                wake.signal()
            } else {
                continuation.resume(throwing: UsageQueryError.unavailable("meterd is stopping"))
            }
        }
    }

    /// The queries posted so far, in order; the loop answers each.
    func takeAll() -> [Query] {
        state.withLock { state in
            defer { state.queries.removeAll() }
            return state.queries
        }
    }

    /// The loop has stopped: waiting and later queries fail.
    func close() {
        let abandoned = state.withLock { state in
            state.closed = true
            defer { state.queries.removeAll() }
            return state.queries
        }
        for query in abandoned { query.continuation.resume(throwing: UsageQueryError.unavailable("meterd is stopping")) }
    }
}
