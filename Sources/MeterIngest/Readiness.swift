import Synchronization

/// Ready once every expected listener is bound (`/readyz`).
public final class Readiness: Sendable {
    private let state: Mutex<(expected: Set<String>, bound: Set<String>)>
    private let failed = Atomic<Bool>(false)

    public init(expecting listeners: some Sequence<String>) {
        state = Mutex((Set(listeners), []))
    }

    public func markBound(_ listener: String) {
        state.withLock { _ = $0.bound.insert(listener) }
    }

    /// Not ready for good (the WAL failed; the process is about to exit).
    public func markFailed() {
        failed.store(true, ordering: .releasing)
    }

    public var isReady: Bool {
        !failed.load(ordering: .acquiring) && state.withLock { $0.expected.isSubset(of: $0.bound) }
    }
}
