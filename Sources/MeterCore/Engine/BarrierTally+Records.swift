/// One non-accepted outcome of an HTTP request's event, as a shard saw it: the request knows
/// which of its events it queued to which shard, in order, so `(shard, ordinal)` names one.
public struct RecordOutcome: Sendable, Hashable {
    public var shard: Int
    /// The record's position among the request's records on that shard, from 0.
    public var ordinal: Int
    public var outcome: AggregateOutcome

    public init(shard: Int, ordinal: Int, outcome: AggregateOutcome) {
        self.shard = shard
        self.ordinal = ordinal
        self.outcome = outcome
    }
}

extension BarrierTally {
    /// Tallies one record of an HTTP source: counted like `add(_:)`, and, when not accepted,
    /// listed with its ordinal on `shard` so the request can say which event it was.
    public mutating func addRecord(_ outcome: AggregateOutcome, shard: Int) {
        if outcome != .accepted {
            add(outcome)
            records.append(RecordOutcome(shard: shard, ordinal: seen, outcome: outcome))
        }
        seen += 1
    }
}

extension BarrierBoard {
    /// HTTP requests take their source ids from 0x800000...0xFFFFFF, so the shards can tell
    /// their records apart (they tally every outcome of them) with one comparison.
    @inlinable public static var firstHTTPSource: UInt32 { 0x80_0000 }

    @inline(__always)
    public static func isHTTPSource(_ source: UInt32) -> Bool { source >= firstHTTPSource }
}
