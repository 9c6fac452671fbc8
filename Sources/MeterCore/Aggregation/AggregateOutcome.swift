/// What the aggregator did with one event.
public enum AggregateOutcome: Sendable, Hashable {
    case accepted
    /// Same (tenant, metric, id) seen within the deduplication window: not counted again.
    case duplicate
    case refused(RefusalReason)
}

/// Running totals of outcomes, indexed by refusal reason; no allocation per event.
public struct AggregateCounts: Sendable, Hashable {
    public var accepted = 0
    public var duplicates = 0
    public var refusals = RefusalCounts()

    public init() {}

    @inlinable
    public mutating func record(_ outcome: AggregateOutcome) {
        switch outcome {
        case .accepted: accepted += 1
        case .duplicate: duplicates += 1
        case .refused(let reason): refusals[reason] += 1
        }
    }
}
