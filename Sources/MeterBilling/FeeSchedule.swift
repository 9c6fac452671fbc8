public import MeterPlans

/// When a subscription's fee is charged: per fee period, a monthly billing period for the
/// monthly cycle, a subscription year (12 periods from the anchor) for the annual cycle
/// (docs/billing.md "Fees and proration").
public enum FeeSchedule {
    /// The fee period of `cycle` containing `instant` for `anchor`; before the anchor, the
    /// first one (time before the anchor is billed as part of period 0's fee).
    public static func feePeriod(containing instant: Int64, anchor: Int64, cycle: BillingCycle) -> BillingPeriod {
        let month = BillingPeriod.containing(instant, anchor: anchor)?.index ?? 0
        let first = month - month % cycle.periodsPerFee
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
