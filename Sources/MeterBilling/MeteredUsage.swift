public import MeterCore

/// One metric's usage in an invoice's usage window, read from the rollups: counters add up,
/// a gauge-only metric counts its largest value (as quotas count it, `PeriodUsage`).
public struct MeteredUsage: Sendable, Hashable {
    public var metric: String
    public var used: QuantitySum
    /// `.counter` when counter rows were summed, `.gauge` when only gauges were (their maximum).
    public var kind: MetricType
    /// The rollup rows it was read from.
    public var sources: [UsageSource]

    public init(metric: String, used: QuantitySum, kind: MetricType = .counter, sources: [UsageSource]) {
        self.metric = metric
        self.used = used
        self.kind = kind
        self.sources = sources
    }

    /// The usage of two adjacent spans as one: counters add up, a gauge-only metric keeps the
    /// larger value, and counters count over gauges (as within one span).
    public static func combined(_ first: MeteredUsage?, _ second: MeteredUsage?) -> MeteredUsage? {
        guard let first else { return second }
        guard let second else { return first }
        let kind: MetricType = first.kind == .counter || second.kind == .counter ? .counter : .gauge
        var used = QuantitySum.zero
        if kind == .counter {
            if first.kind == .counter { used.add(first.used) }
            if second.kind == .counter { used.add(second.used) }
        } else {
            used = max(first.used, second.used)
        }
        let sources = (first.sources + second.sources).filter { kind == .gauge || $0.type == .counter }
        return MeteredUsage(metric: first.metric, used: used, kind: kind, sources: sources)
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
    /// Late usage is looked for in `[recheckFrom, windowTo)` only (`BillingLimits.defaultLateUsageDays`);
    /// `settled` is the usage of `[windowFrom, recheckFrom)`, final when invoiced, and `kind` says
    /// how the two combine (counters add, a gauge keeps the larger).
    public var recheckFrom: Int64
    public var settled: QuantitySum
    public var kind: MetricType

    public init(metric: String, periodStart: Int64, periodEnd: Int64, windowFrom: Int64, windowTo: Int64, used: QuantitySum,
                included: Quantity, planID: String, rate: String, recheckFrom: Int64? = nil, settled: QuantitySum = .zero,
                kind: MetricType = .counter) {
        self.metric = metric
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.windowFrom = windowFrom
        self.windowTo = windowTo
        self.used = used
        self.included = included
        self.planID = planID
        self.rate = rate
        self.recheckFrom = recheckFrom ?? windowFrom
        self.settled = settled
        self.kind = kind
    }

    /// The start of the span read again for late usage: the day `days` before the window's end,
    /// never before its start.
    public static func recheckStart(windowFrom: Int64, windowTo: Int64, days: Int) -> Int64 {
        min(windowTo, max(windowFrom, UsageReader.dayFloor(windowTo - Int64(days) * 86_400)))
    }

    /// Units beyond `included` (never negative), as a quantity (clamped to its range).
    public var overage: Quantity { Self.overage(used: used, included: included) }

    static func overage(used: QuantitySum, included: Quantity) -> Quantity {
        let units = used.units - Int128(included.units)
        return Quantity(units: units <= 0 ? 0 : Int64(clamping: units))
    }
}
