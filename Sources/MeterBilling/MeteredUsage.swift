public import MeterCore

/// One metric's usage in an invoice's usage window, read from the rollups: counters add up,
/// a gauge-only metric counts its largest value (as quotas count it, `PeriodUsage`).
public struct MeteredUsage: Sendable, Hashable {
    public var metric: String
    public var used: QuantitySum
    /// The rollup rows it was read from.
    public var sources: [UsageSource]

    public init(metric: String, used: QuantitySum, sources: [UsageSource]) {
        self.metric = metric
        self.used = used
        self.sources = sources
    }
}

/// What an invoice billed of one metric for one billing period: the usage and the terms it was
/// priced on. A later run compares the usage of the same window with it and bills the
/// difference (late usage) as an adjustment; the adjustment records the new figure.
public struct BilledUsage: Sendable, Hashable {
    public var metric: String
    /// The billing period the usage belongs to (not the invoice's, for an adjustment).
    public var periodStart: Int64
    public var periodEnd: Int64
    /// The usage window: rollup hours starting in `[windowFrom, windowTo)`.
    public var windowFrom: Int64
    public var windowTo: Int64
    public var used: QuantitySum
    public var included: Quantity
    public var planID: String
    /// The overage rate the usage was priced at, as `OverageRate.code`.
    public var rate: String

    public init(metric: String, periodStart: Int64, periodEnd: Int64, windowFrom: Int64, windowTo: Int64, used: QuantitySum,
                included: Quantity, planID: String, rate: String) {
        self.metric = metric
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.windowFrom = windowFrom
        self.windowTo = windowTo
        self.used = used
        self.included = included
        self.planID = planID
        self.rate = rate
    }

    /// Units beyond `included` (never negative), as a quantity (clamped to its range).
    public var overage: Quantity { Self.overage(used: used, included: included) }

    static func overage(used: QuantitySum, included: Quantity) -> Quantity {
        let units = used.units - Int128(included.units)
        return Quantity(units: units <= 0 ? 0 : Int64(clamping: units))
    }
}
