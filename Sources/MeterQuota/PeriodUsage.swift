import MeterCore

/// One metric's usage in one billing period: counters add up, gauges keep their largest value
/// (a quota on a gauge, such as active patients, caps its peak).
public struct PeriodUsage: Sendable, Hashable {
    public var sum = QuantitySum.zero
    /// Units of 10^-6; `Int64.min` before any gauge event.
    public var maximum = Int64.min
    public var events: Int64 = 0
    public var hasCounter = false
    public var hasGauge = false

    public init() {}

    public mutating func addCounter(_ value: QuantitySum, events count: Int64) {
        sum.add(value)
        events += count
        hasCounter = true
    }

    public mutating func addGauge(maximum value: Int64, events count: Int64) {
        maximum = max(maximum, value)
        events += count
        hasGauge = true
    }

    /// What counts against the quota: the counter sum, or for a gauge-only metric its maximum.
    public var used: QuantitySum {
        if hasCounter || !hasGauge { return sum }
        return QuantitySum(units: Int128(maximum))
    }
}
