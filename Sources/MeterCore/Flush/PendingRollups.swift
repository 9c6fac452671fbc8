/// Deltas waiting to be written, folded by row (series key, grain, bucket start).
///
/// Adding round after round of deltas keeps one delta per row (`RollupDelta.fold`), so while
/// the database is down memory grows with the number of distinct rows touched, not with the
/// number of flush rounds. Applying `take()`'s result equals applying every added delta in the
/// order added: rows are independent, and within a row `fold` keeps the order.
public struct PendingRollups: Sendable {
    private var indexByRow: [RollupKey: Int] = [:]
    private var deltas: [RollupDelta] = []

    public init() {}

    /// Distinct rows pending.
    public var rowCount: Int { deltas.count }
    public var isEmpty: Bool { deltas.isEmpty }

    /// Set members pending, summed over rows.
    public var memberCount: Int { deltas.reduce(0) { $0 + $1.newMembers.count } }

    public mutating func add(_ delta: RollupDelta) {
        let key = RollupKey(seriesKey: delta.seriesKey, grain: delta.grain, bucketStart: delta.bucketStart)
        if let index = indexByRow[key] {
            deltas[index].fold(delta)
        } else {
            indexByRow[key] = deltas.count
            deltas.append(delta)
        }
    }

    public mutating func add(contentsOf deltas: some Sequence<RollupDelta>) {
        for delta in deltas { add(delta) }
    }

    /// The pending rows whose series key `includes` accepts, without taking them (a usage
    /// query's read, docs/queries.md).
    public func rows(where includes: ([UInt8]) -> Bool) -> [RollupDelta] {
        deltas.filter { includes($0.seriesKey) }
    }

    /// Every pending row, one folded delta each, in the order rows were first added; empties
    /// the store.
    public mutating func take() -> [RollupDelta] {
        indexByRow.removeAll()
        defer { deltas = [] }
        return deltas
    }
}
