/// Identifies one rollup row: a series, a grain and a bucket.
public struct RollupKey: Sendable, Hashable {
    public var seriesKey: [UInt8]
    public var grain: Grain
    public var bucketStart: Int64

    public init(seriesKey: [UInt8], grain: Grain, bucketStart: Int64) {
        self.seriesKey = seriesKey
        self.grain = grain
        self.bucketStart = bucketStart
    }

    /// The key's bytes in one call: `[UInt8]`'s own hashing feeds the hasher byte by byte,
    /// which dominated folding a flush of 300k rows.
    public func hash(into hasher: inout Hasher) {
        seriesKey.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(grain)
        hasher.combine(bucketStart)
    }
}

/// One rollup row as a store holds it after applying deltas.
public struct RollupValue: Sendable, Hashable {
    public var type: MetricType
    public var events: Int64 = 0
    public var sum = QuantitySum.zero
    public var integral = QuantitySum.zero
    public var minimum: Quantity?
    public var maximum: Quantity?
    public var latest: Quantity?
    public var latestTime: Int64 = .min
    public var unique = 0

    public init(type: MetricType) { self.type = type }

    /// Merges one delta: additive fields add, extremes combine, latest goes to the later time
    /// (a tie goes to the delta, which was flushed later).
    public mutating func apply(_ delta: RollupDelta) {
        precondition(delta.type == type, "a delta of another type for the same series")
        events += delta.events
        sum.add(delta.sum)
        integral.add(delta.integral)
        if let value = delta.minimum { minimum = Swift.min(minimum ?? value, value) }
        if let value = delta.maximum { maximum = Swift.max(maximum ?? value, value) }
        if let value = delta.latest, delta.latestTime >= latestTime {
            latest = value
            latestTime = delta.latestTime
        }
        unique += delta.uniqueDelta
    }
}

/// An in-memory store of rollups built from deltas: the reference for what the database
/// tables must hold, and the merge of flushed and in-memory data in tests.
public struct RollupTotals: Sendable {
    public private(set) var rows: [RollupKey: RollupValue] = [:]

    public init() {}

    public mutating func apply(_ delta: RollupDelta) {
        let key = RollupKey(seriesKey: delta.seriesKey, grain: delta.grain, bucketStart: delta.bucketStart)
        rows[key, default: RollupValue(type: delta.type)].apply(delta)
    }

    public mutating func apply(_ deltas: some Sequence<RollupDelta>) {
        for delta in deltas { apply(delta) }
    }
}
