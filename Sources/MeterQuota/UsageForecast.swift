import MeterCore
import MeterPlans

/// The usage expected by the end of the current period (docs/quotas.md "Forecast").
///
/// Method: a straight line through the period so far. Counters: `used` plus the period's
/// average rate so far (`used / elapsed`) times the time left, with `elapsed` at least one
/// hour so a period's first minutes do not extrapolate a burst; exact integer arithmetic,
/// rounded down to the unit of 10^-6. Gauges: their maximum so far (a peak does not grow
/// with time). With the plan's quota, also the expected overage and its cost.
public struct UsageForecast: Sendable, Equatable {
    /// Minimum elapsed time the rate is taken over.
    public static let minimumElapsedSeconds: Int64 = 3600

    public let used: QuantitySum
    public let projected: QuantitySum
    public let elapsedSeconds: Int64
    public let remainingSeconds: Int64
    /// `projected - limit`, at least zero; nil without a limit.
    public let projectedOverage: QuantitySum?
    /// `projectedOverage x overage price`, in millionths of the currency; nil without a price.
    public let projectedOverageCost: Money?
    public let method = "linear"

    init(answer: EntitlementAnswer) {
        let now = answer.nowMilliseconds / 1000
        let start = answer.window.period.start
        let end = answer.window.period.end
        used = answer.used
        elapsedSeconds = max(0, now - start)
        remainingSeconds = max(0, end - now)
        if answer.usage.hasCounter || !answer.usage.hasGauge {
            let over = max(elapsedSeconds, Self.minimumElapsedSeconds)
            let (growth, overflow) = used.units.multipliedReportingOverflow(by: Int128(remainingSeconds))
            projected = overflow ? QuantitySum(units: .max) : QuantitySum(units: used.units + growth / Int128(over))
        } else {
            projected = used
        }
        if let limit = answer.limit {
            let overage = QuantitySum(units: max(0, projected.units - Int128(limit.units)))
            projectedOverage = overage
            projectedOverageCost = answer.terms?.overage.map { rate in
                // Exact in picos; a projection beyond Int64 quantities is shown as the largest.
                let units = overage.units > Int128(Int64.max) ? Int64.max : Int64(overage.units)
                let charge = rate.charge(for: Quantity(units: units))
                return Money(micros: Int64(clamping: charge.picos / Int128(Quantity.unitsPerWhole)))
            }
        } else {
            projectedOverage = nil
            projectedOverageCost = nil
        }
    }
}
