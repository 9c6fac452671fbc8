import MeterCore

/// One dimension tag of a series, as a usage query names and answers it.
public struct UsageDimension: Sendable, Hashable, Comparable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// By key bytes, then value bytes: the canonical order of a series' dimensions.
    public static func < (lhs: UsageDimension, rhs: UsageDimension) -> Bool {
        if lhs.key != rhs.key { return lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8) }
        return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
    }
}

/// What `GET /v1/usage` and in-process callers ask (docs/queries.md): one tenant's rollups of
/// one grain, for one metric or all of them, for the series whose dimensions include every
/// requested tag, in the buckets that overlap `[from, to)`.
public struct UsageRequest: Sendable {
    public var tenant: String
    /// nil: every metric of the tenant.
    public var metric: String?
    public var grain: Grain
    /// Unix seconds. The first bucket is the one that contains `from`.
    public var from: Int64
    /// Unix seconds, exclusive: the last bucket is the one that starts before `to`.
    public var to: Int64
    /// Tags every answered series must carry (other tags are allowed).
    public var dimensions: [UsageDimension]
    /// Runs on each shard thread at the very turn it answers this query's snapshot
    /// (`ShardSnapshotRequests`): events that shard aggregated before are in the answer, those
    /// it aggregates after are not. Must be quick; nil for none.
    public var onShardTurn: (@Sendable (_ shard: Int) -> Void)?

    public init(tenant: String, metric: String? = nil, grain: Grain, from: Int64, to: Int64,
                dimensions: [UsageDimension] = [], onShardTurn: (@Sendable (_ shard: Int) -> Void)? = nil) {
        self.tenant = tenant
        self.metric = metric
        self.grain = grain
        self.from = from
        self.to = to
        self.dimensions = dimensions.sorted()
        self.onShardTurn = onShardTurn
    }

    /// The start of the first bucket answered.
    public var firstBucket: Int64 { grain.bucketStart(containing: from) }

    /// How many buckets the range spans (0 when `from >= to`); stops counting past `limit`.
    public func bucketCount(upTo limit: Int) -> Int {
        guard from < to else { return 0 }
        switch grain {
        case .hour, .day:
            let width: Int64 = grain == .hour ? 3_600 : 86_400
            let count = (to - firstBucket + width - 1) / width
            return Int(min(count, Int64(limit) + 1))
        case .month:
            var count = 0
            var start = firstBucket
            while start < to && count <= limit {
                count += 1
                start = grain.bucketEnd(startingAt: start)
            }
            return count
        }
    }

    /// The shards' and the flusher's selection: the tenant and metric (dimensions and buckets
    /// are filtered after).
    var selection: SeriesSelection { SeriesSelection(tenant: tenant, metric: metric) }

    /// Whether a series with these parts and a bucket of `grain` starting at `bucketStart`
    /// belong to the answer (the tenant is already selected).
    func includes(metric: String, dimensions: [UsageDimension], grain: Grain, bucketStart: Int64) -> Bool {
        guard grain == self.grain, bucketStart >= firstBucket, bucketStart < to else { return false }
        if let wanted = self.metric, wanted != metric { return false }
        return self.dimensions.allSatisfy { dimensions.contains($0) }
    }
}
