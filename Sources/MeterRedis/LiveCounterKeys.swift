public import MeterCore

/// The Redis key layout of the live-counter mirror: one hash per (tenant, metric, type, grain,
/// bucket),
///
///     <prefix>:usage:{<tenant>}:<metric>:<type>:<grain>:<bucketStartUnix>
///     e.g. meterd:usage:{acme}:ai.tokens:c:month:1769904000
///
/// `<type>` is the wire letter (`c`, `g`, `s`): the protocol lets a sender use one metric name
/// with two types, which are two series and must not share a hash.
///
/// holding the period's totals summed over every dimension combination of the metric:
///
/// | field | metric types | value | written with |
/// |---|---|---|---|
/// | `events` | all | events counted | `HINCRBY` |
/// | `sum_units` | counters | sum in micro-units (10^-6, `Quantity.units`) | `HINCRBY` |
/// | `unique` | sets | distinct members (summed over dimension combinations) | `HINCRBY` |
/// | `integral_unit_seconds` | gauges | time-weighted integral, micro-units x seconds | `HINCRBY` |
/// | `latest_units`, `latest_time` | gauges | newest value and its event time | `EVAL` (newer time wins) |
///
/// Quantities are integers of micro-units, never floats: `INCRBYFLOAT` would round. `12.5`
/// minutes is `sum_units` 12500000. The `{tenant}` hash tag puts all of a tenant's keys in one
/// cluster slot. Tenants and metric names are `[A-Za-z0-9_.-]` (the line protocol refuses
/// anything else), so they cannot contain `:`, `{` or `}` and the layout is unambiguous.
///
/// Every write is followed by `EXPIREAT <bucket end + retention>`: a key lives until its period
/// is over plus `retentionSeconds`, then Redis drops it. A late delta for a bucket whose expiry
/// has passed therefore deletes the key at once instead of resurrecting it.
public struct LiveCounterKeys: Sendable, Hashable {
    public enum Field {
        public static let events = "events"
        public static let sumUnits = "sum_units"
        public static let unique = "unique"
        public static let integralUnitSeconds = "integral_unit_seconds"
        public static let latestUnits = "latest_units"
        public static let latestTime = "latest_time"
    }

    /// First component of every key (`redis.key_prefix`), so several deployments (or tests)
    /// can share one Redis.
    public var prefix: String
    /// How long a key outlives its bucket (`redis.retention_seconds`).
    public var retentionSeconds: Int64

    public init(prefix: String = "meterd", retentionSeconds: Int64 = 7 * 86_400) {
        precondition(retentionSeconds >= 0, "redis.retention_seconds must not be negative")
        self.prefix = prefix
        self.retentionSeconds = retentionSeconds
    }

    /// The key of one period's totals.
    public func key(tenant: String, metric: String, type: MetricType, grain: Grain, bucketStart: Int64) -> String {
        "\(prefix):usage:{\(tenant)}:\(metric):\(type.wireLetter):\(grain.name):\(bucketStart)"
    }

    /// Unix second at which the key of this bucket expires.
    public func expiresAt(grain: Grain, bucketStart: Int64) -> Int64 {
        grain.bucketEnd(startingAt: bucketStart) + retentionSeconds
    }
}
