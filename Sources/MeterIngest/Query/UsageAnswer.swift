import MeterCore

/// The identity of one answered series within a tenant: metric, type and dimensions (sorted).
public struct UsageSeriesID: Sendable, Hashable, Comparable {
    public var metric: String
    public var type: MetricType
    public var dimensions: [UsageDimension]

    public init(metric: String, type: MetricType, dimensions: [UsageDimension]) {
        self.metric = metric
        self.type = type
        self.dimensions = dimensions.sorted()
    }

    /// By metric, then type, then dimensions: the answer's order.
    public static func < (lhs: UsageSeriesID, rhs: UsageSeriesID) -> Bool {
        if lhs.metric != rhs.metric { return lhs.metric.utf8.lexicographicallyPrecedes(rhs.metric.utf8) }
        if lhs.type != rhs.type { return lhs.type.rawValue < rhs.type.rawValue }
        return lhs.dimensions.lexicographicallyPrecedes(rhs.dimensions)
    }
}

/// One series' buckets in a usage answer, oldest first.
public struct UsageSeries: Sendable, Hashable {
    public var id: UsageSeriesID
    public var buckets: [UsageBucket]

    public init(id: UsageSeriesID, buckets: [UsageBucket]) {
        self.id = id
        self.buckets = buckets
    }
}

/// One rollup row as the answer gives it: the bucket start (Unix seconds) and its columns.
public struct UsageBucket: Sendable, Hashable {
    public var start: Int64
    public var value: RollupValue

    public init(start: Int64, value: RollupValue) {
        self.start = start
        self.value = value
    }
}

/// A usage query's answer: every accepted event's contribution, flushed or still in memory,
/// counted once (docs/queries.md).
public struct UsageAnswer: Sendable, Hashable {
    public var tenant: String
    /// Series of the request that have at least one bucket in the range, sorted.
    public var series: [UsageSeries]

    public init(tenant: String, series: [UsageSeries]) {
        self.tenant = tenant
        self.series = series
    }

    /// The sum over every series and bucket of the answer of `metric`: counters' `sum`, gauges'
    /// `integral` (value x seconds), sets' summed bucket uniques (an upper bound of the range's
    /// distinct members). A billing period's total for an entitlement check.
    public func total(of metric: String) -> QuantitySum {
        var total = QuantitySum.zero
        for series in series where series.id.metric == metric {
            for bucket in series.buckets {
                switch series.id.type {
                case .counter: total.add(bucket.value.sum)
                case .gauge: total.add(bucket.value.integral)
                case .set: total.add(QuantitySum(units: Int128(bucket.value.unique) * Int128(Quantity.unitsPerWhole)))
                }
            }
        }
        return total
    }

    /// Events counted over every series and bucket of the answer.
    public var events: Int64 { series.reduce(0) { $0 + $1.buckets.reduce(0) { $0 + $1.value.events } } }
}

/// Why a usage query has no answer.
public enum UsageQueryError: Error, Sendable, Hashable {
    /// No row in any rollup table and no series in memory for the tenant (HTTP 404).
    case unknownTenant(String)
    /// `usage_query.max_in_flight` queries are running (HTTP 503, Retry-After).
    case busy(limit: Int)
    /// The store could not be read (PostgreSQL down), the flush counter is not known yet, or
    /// the daemon is stopping (HTTP 503).
    case unavailable(String)
}
