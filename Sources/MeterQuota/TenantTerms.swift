import MeterCore
import MeterPlans

/// What the tracker needs of a tenant's subscription, taken from the plan book once per book
/// (and again when the period ends) rather than per event: the billing anchor, the current
/// period's usage window, and the limited quotas of the plan in force.
struct TenantTerms: Sendable {
    let anchor: Int64
    let window: UsageWindow
    /// Metric → included quota, for the plan's limited metrics only.
    let quotas: [String: Quantity]

    /// nil when `tenant` has no subscription with a started period at `now` (Unix seconds), or
    /// its plan is missing from the catalog.
    init?(book: PlanBookSnapshot, tenant: String, at now: Int64) {
        guard let subscription = book.subscription(of: tenant, at: now), let period = subscription.period(at: now),
              let plan = book.catalog[subscription.planID] else { return nil }
        anchor = subscription.billingAnchor
        window = UsageWindow(period: period)
        quotas = plan.metrics.compactMapValues { terms in
            if case .limited(let quota) = terms.included { quota } else { nil }
        }
    }
}
