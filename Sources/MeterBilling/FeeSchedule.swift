public import MeterPlans

/// When a subscription's fee is charged: per fee period, a monthly billing period for the
/// monthly cycle, a subscription year (12 periods from the anchor) for the annual cycle
/// (docs/billing.md "Fees and proration").
public enum FeeSchedule {
    /// The fee period of `cycle` containing `instant` for `anchor`. Before the anchor (a
    /// subscription anchored later than it starts), the periods count back from it (-1, -2, ...),
    /// so the stub up to the anchor is prorated like any part of a period.
    public static func feePeriod(containing instant: Int64, anchor: Int64, cycle: BillingCycle) -> BillingPeriod {
        var month = BillingPeriod.containing(instant, anchor: anchor)?.index ?? -1
        while month < 0 && BillingPeriod.start(index: month, anchor: anchor) > instant { month -= 1 }
        let first = month - ((month % cycle.periodsPerFee) + cycle.periodsPerFee) % cycle.periodsPerFee
        return BillingPeriod(index: first / cycle.periodsPerFee,
                             start: BillingPeriod.start(index: first, anchor: anchor),
                             end: BillingPeriod.start(index: first + cycle.periodsPerFee, anchor: anchor))
    }

    /// The list price of `plan` for one fee period of `cycle`; nil for contract pricing.
    public static func price(of plan: Plan, cycle: BillingCycle) -> Money? {
        guard case .list(let monthly, let annual) = plan.pricing else { return nil }
        return cycle == .monthly ? monthly : annual
    }

    /// `price x seats x seconds / periodSeconds`, rounded once to `decimals`, halves away
    /// from zero: the proration formula (to the second). A whole period is `price x seats`.
    public static func prorated(price: Money, seats: Int, seconds: Int64, periodSeconds: Int64, decimals: Int) -> Money {
        // One rounding, straight from the exact fraction to the minor unit.
        let scale = ExactCharge.pow10(6 - decimals)
        let numerator = Int128(price.micros) * Int128(seats) * Int128(seconds)
        let minor = ExactCharge.divideRoundingHalfAwayFromZero(numerator, by: Int128(periodSeconds) * scale)
        return Money(micros: Int64(minor * scale))
    }
}
