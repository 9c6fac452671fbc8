/// Limits the aggregators enforce after parsing. Each is a configuration key (`config/limits.md`).
public struct AggregatorLimits: Sendable, Hashable {
    /// Distinct series (metric + dimensions) one tenant may have live. `limits.max_series_per_tenant`.
    public var maxSeriesPerTenant: Int = 10_000
    /// Distinct series live in the whole daemon. `limits.max_series`.
    public var maxSeries: Int = 2_000_000
    /// Distinct values one dimension key may take for one tenant. `limits.max_values_per_dimension`.
    public var maxValuesPerDimension: Int = 1_000
    /// Distinct members one set may count in one bucket. `limits.max_set_members_per_bucket`.
    public var maxSetMembersPerBucket: Int = 100_000
    /// How long a gauge's last value is carried forward into the time-weighted integral when no
    /// new sample arrives. `aggregation.gauge_max_carry_seconds`.
    public var gaugeMaxCarrySeconds: Int64 = 86_400
    /// Oldest event time accepted, in seconds before now; must match `protocol.max_lateness_seconds`.
    /// Set buckets are kept this long after they end, so a late member is never counted twice.
    public var maxLatenessSeconds: Int64 = 3 * 86_400
    /// A series with no live buckets and no event for this long is forgotten, releasing its
    /// place in the series limits. `aggregation.series_idle_seconds`.
    public var seriesIdleSeconds: Int64 = 2 * 86_400

    public init() {}

    /// Problems with these limits, one message per problem naming the key; empty when valid.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        func check(_ ok: Bool, _ message: String) { if !ok { errors.append(message) } }
        check(maxSeriesPerTenant >= 1, "limits.max_series_per_tenant must be at least 1")
        check(maxSeries >= 1, "limits.max_series must be at least 1")
        check(maxValuesPerDimension >= 1, "limits.max_values_per_dimension must be at least 1")
        check(maxSetMembersPerBucket >= 1, "limits.max_set_members_per_bucket must be at least 1")
        check(gaugeMaxCarrySeconds >= 0, "aggregation.gauge_max_carry_seconds must not be negative")
        check(maxLatenessSeconds >= 0, "protocol.max_lateness_seconds must not be negative")
        check(seriesIdleSeconds >= 3_600, "aggregation.series_idle_seconds must be at least 3600")
        return errors
    }
}
