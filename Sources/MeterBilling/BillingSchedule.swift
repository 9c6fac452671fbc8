public import MeterPlans

/// Which billing period of a tenant is invoiced next (docs/billing.md "Billing runs").
public enum BillingSchedule {
    /// The period after `lastEnd` (the end of the tenant's last invoiced period; nil: none yet):
    /// it starts there, or at the next subscription row's start when no row is in force then,
    /// and ends at the next period boundary of that row's anchor. Nil when no row is left.
    public static func nextPeriod(rows: [SubscriptionRow], after lastEnd: Int64?) -> BillingPeriod? {
        let sorted = rows.sorted(by: SubscriptionRow.chronologically)
        guard let first = sorted.first else { return nil }
        let start = lastEnd ?? first.subscription.startedAt
        guard let row = sorted.last(where: { $0.subscription.isActive(at: start) })
                ?? sorted.first(where: { $0.subscription.startedAt > start }) else { return nil }
        let from = max(start, row.subscription.startedAt)
        let anchor = row.subscription.billingAnchor
        guard let period = BillingPeriod.containing(from, anchor: anchor) else {
            // Before the anchor: a stub period up to it.
            return BillingPeriod(index: -1, start: from, end: anchor)
        }
        return BillingPeriod(index: period.index, start: from, end: period.end)
    }
}
