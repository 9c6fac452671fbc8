import Synchronization

/// The plan book in force: the latest `PlanBookSnapshot`, swapped whole by the refresher and
/// read by anyone. A read takes a mutex for a reference copy only (no I/O, no allocation), so
/// it is cheap enough for the ingest path.
public final class PlanBook: Sendable {
    private let current: Mutex<(snapshot: PlanBookSnapshot, generation: Int)>

    public init(_ snapshot: PlanBookSnapshot = .empty) {
        current = Mutex((snapshot, 0))
    }

    public var snapshot: PlanBookSnapshot { current.withLock { $0.snapshot } }

    /// The snapshot and how many times it was replaced, read together: a reader that keeps
    /// the generation knows whether a later snapshot is new.
    public var versioned: (snapshot: PlanBookSnapshot, generation: Int) { current.withLock { $0 } }

    public func replace(with snapshot: PlanBookSnapshot) {
        current.withLock {
            $0.snapshot = snapshot
            $0.generation += 1
        }
    }

    /// Replaces the catalog and keeps the subscriptions (a reload of the plans file without
    /// PostgreSQL).
    public func replaceCatalog(with catalog: PlanCatalog) {
        current.withLock {
            $0.snapshot.catalog = catalog
            $0.generation += 1
        }
    }
}
