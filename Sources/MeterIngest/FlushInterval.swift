import Synchronization

/// The time between flush rounds, changeable while running (a SIGHUP reload of
/// `flush_interval`): the aggregation loop reads it on every tick, so a new value counts from
/// the last round at once.
public final class FlushInterval: Sendable {
    private let nanoseconds: Atomic<Int64>

    public init(_ interval: Duration) {
        nanoseconds = Atomic(Self.nanoseconds(interval))
    }

    public var current: Duration {
        get { .nanoseconds(nanoseconds.load(ordering: .relaxed)) }
        set { nanoseconds.store(Self.nanoseconds(newValue), ordering: .relaxed) }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        precondition(duration > .zero, "a flush interval must be positive")
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
