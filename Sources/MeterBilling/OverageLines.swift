import MeterCore
public import MeterPlans

/// The overage lines of one billing period, and the usage figures they were computed from.
///
/// The terms are those of the plan in force at the end of the period's billable time (the last
/// subscription row overlapping it), for the whole period: the same quota alerts and
/// entitlement checks evaluate against (docs/billing.md "Overage").
public enum OverageLines {
    public struct Result: Sendable {
        public var lines: [InvoiceLine] = []
        /// One per limited metric with an overage rate, billed or not.
        public var billed: [BilledUsage] = []
    }

    public static func compute(plan: Plan, period: BillingPeriod, windowFrom: Int64, windowTo: Int64,
                               usage: [String: MeteredUsage], settled: [String: MeteredUsage] = [:], recheckFrom: Int64? = nil,
                               decimals: Int) -> Result {
        var result = Result()
        for metric in plan.metrics.keys.sorted() {
            guard let terms = plan.metrics[metric], case .limited(let included) = terms.included, let rate = terms.overage else { continue }
            let metered = usage[metric]
            let kind = metered?.kind ?? .counter
            // The settled part counts only as the whole does (a gauge head under a counter tail: nothing).
            let head = settled[metric].flatMap { $0.kind == kind ? $0.used : nil } ?? .zero
            let billed = BilledUsage(metric: metric, periodStart: period.start, periodEnd: period.end, windowFrom: windowFrom,
                                     windowTo: windowTo, used: metered?.used ?? .zero, included: included, planID: plan.id, rate: rate.code,
                                     recheckFrom: recheckFrom ?? windowTo, settled: recheckFrom == nil ? (metered?.used ?? .zero) : head,
                                     kind: kind)
            result.billed.append(billed)
            let overage = billed.overage
            guard overage > .zero else { continue }
            let amount = rate.charge(for: overage).rounded(decimals: decimals)
            result.lines.append(InvoiceLine(
                kind: .overage,
                description: "\(metric): \(billed.used) used, \(included) included, \(overage) over at \(rate)",
                quantity: overage, unitPrice: { if case .perUnit(let price) = rate { price } else { nil } }(),
                amount: amount, from: windowFrom, to: windowTo, metric: metric, planID: plan.id, sources: metered?.sources ?? []))
        }
        return result
    }
}

/// Adjustments for late usage: the usage of an invoiced period's window read again, compared
/// with what was billed, the difference in charge billed now (docs/billing.md "Late usage").
public enum LateUsageLines {
    public struct Check: Sendable {
        /// The latest figure billed for the period and metric.
        public var billed: BilledUsage
        /// The same window's usage now.
        public var current: MeteredUsage

        public init(billed: BilledUsage, current: MeteredUsage) {
            self.billed = billed
            self.current = current
        }
    }

    public static func compute(_ checks: [Check], decimals: Int) -> OverageLines.Result {
        var result = OverageLines.Result()
        for check in checks where check.current.used != check.billed.used {
            var now = check.billed
            now.used = check.current.used
            result.billed.append(now)
            guard let rate = OverageRate(code: check.billed.rate) else { continue }
            let delta = rate.charge(for: now.overage) - rate.charge(for: check.billed.overage)
            let amount = delta.rounded(decimals: decimals)
            guard amount != .zero else { continue }
            let change = QuantitySum(units: now.used.units - check.billed.used.units)
            result.lines.append(InvoiceLine(
                kind: .adjustment,
                description: "\(now.metric), period from \(CivilTime(unixSeconds: now.periodStart)): late usage "
                    + "\(change.units > 0 ? "+" : "")\(change) (\(check.billed.used) billed, "
                    + "\(now.used) now; \(now.included) included) at \(rate)",
                quantity: Quantity(units: Int64(clamping: change.units)), amount: amount, from: now.windowFrom, to: now.windowTo,
                metric: now.metric, planID: now.planID, sources: check.current.sources))
        }
        return result
    }
}
