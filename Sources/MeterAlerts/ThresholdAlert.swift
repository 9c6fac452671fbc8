import MeterCore

/// One crossed threshold: `tenant`'s use of `metric` reached `level` percent of its included
/// `quota` in the billing period `[periodStart, periodEnd)`.
///
/// `id` is derived from the fields that make an alert "the same alert" (tenant, metric, period
/// start, quota, level), so every meterd instance and every retry carries the same id and a
/// receiver can deduplicate on it. The quota is part of the identity because a plan change
/// re-arms the levels: the same level crossed again under a new quota is a new alert.
public struct ThresholdAlert: Sendable, Hashable {
    public var tenant: String
    public var metric: String
    public var level: AlertLevel
    /// Billing period bounds, Unix seconds (UTC): start inclusive, end exclusive.
    public var periodStart: Int64
    public var periodEnd: Int64
    /// Usage when the level was crossed, and the included quota: exact decimals.
    public var used: Quantity
    public var quota: Quantity
    /// When the crossing event was evaluated, Unix milliseconds.
    public var crossedAtMilliseconds: Int64

    public init(tenant: String, metric: String, level: AlertLevel, periodStart: Int64, periodEnd: Int64,
                used: Quantity, quota: Quantity, crossedAtMilliseconds: Int64) {
        self.tenant = tenant
        self.metric = metric
        self.level = level
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.used = used
        self.quota = quota
        self.crossedAtMilliseconds = crossedAtMilliseconds
    }

    /// The stable alert id (a UUID string, docs/alerts.md "Alert id").
    public var id: String { AlertID.make(for: self) }

    /// The order in which alerts crossed together are delivered: highest level first; equal
    /// levels keep their given order (they are different tenants or metrics).
    public static func deliveryOrder(_ alerts: [ThresholdAlert]) -> [ThresholdAlert] {
        alerts.enumerated().sorted { lhs, rhs in
            lhs.element.level != rhs.element.level ? lhs.element.level > rhs.element.level : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
