/// What changed in one bucket of one series since the previous flush.
///
/// Applying every delta a shard emits, in order, to a store (`RollupTotals`, or the rollup
/// tables) yields exactly the aggregate of every accepted event, however the flushes were
/// interleaved with the events.
public struct RollupDelta: Sendable, Hashable {
    /// The canonical series key; `SeriesKey.decode` gives tenant, metric and dimensions.
    public var seriesKey: [UInt8]
    public var type: MetricType
    public var grain: Grain
    /// Bucket start, Unix seconds (UTC).
    public var bucketStart: Int64
    /// Events added to the bucket.
    public var events: Int64
    /// Counters: value added to the bucket's sum.
    public var sum: QuantitySum
    /// Gauges: value x seconds added to the bucket's time-weighted integral.
    public var integral: QuantitySum
    /// Gauges: the bucket's extremes and latest value so far, absolute (merge with min/max and
    /// by `latestTime`); nil when the delta carries only integral.
    public var minimum: Quantity?
    public var maximum: Quantity?
    public var latest: Quantity?
    public var latestTime: Int64
    /// Sets: members counted for the first time in this bucket; their count is the unique delta.
    public var newMembers: [Fingerprint128]

    /// Sets: how much the bucket's distinct count grew.
    public var uniqueDelta: Int { newMembers.count }
}
