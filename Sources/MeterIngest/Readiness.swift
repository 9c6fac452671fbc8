import Synchronization

/// Ready once every expected listener is bound (`/readyz`).
public final class Readiness: Sendable {
    private let state: Mutex<(expected: Set<String>, bound: Set<String>)>

    public init(expecting listeners: some Sequence<String>) {
        state = Mutex((Set(listeners), []))
    }

    public func markBound(_ listener: String) {
        state.withLock { _ = $0.bound.insert(listener) }
    }

    public var isReady: Bool {
        state.withLock { $0.expected.isSubset(of: $0.bound) }
    }
}
