import MeterCore

/// The catalog and every tenant's subscription rows at one moment: immutable, so readers
/// share it without locks (`PlanBook` swaps whole snapshots).
public struct PlanBookSnapshot: Sendable {
    public var catalog: PlanCatalog
    /// Each tenant's rows, by `startedAt` ascending.
    public var subscriptions: [String: [Subscription]]

    public init(catalog: PlanCatalog, subscriptions: [Subscription] = []) {
        self.catalog = catalog
        self.subscriptions = Dictionary(grouping: subscriptions, by: \.tenant).mapValues { $0.sorted { $0.startedAt < $1.startedAt } }
    }

    public static let empty = PlanBookSnapshot(catalog: .empty)

    /// The subscription row of `tenant` in force at `instant`.
    public func subscription(of tenant: String, at instant: Int64) -> Subscription? {
        subscriptions[tenant]?.last { $0.isActive(at: instant) }
    }

    /// Tenants with a subscription in force at `instant`.
    public func subscribedTenantCount(at instant: Int64) -> Int {
        subscriptions.values.count { rows in rows.contains { $0.isActive(at: instant) } }
    }

    /// Whether `tenant`'s plan in force at `instant` grants `feature` (`ambient_scribe`).
    public func hasFeature(_ feature: String, tenant: String, at instant: Int64) -> Bool {
        subscription(of: tenant, at: instant).flatMap { catalog[$0.planID] }?.features.contains(feature) ?? false
    }

    /// What `tenant` may use of `metric` at `instant`.
    public func entitlement(tenant: String, metric: String, at instant: Int64) -> Entitlement {
        guard let subscription = subscription(of: tenant, at: instant) else { return .noSubscription }
        guard let plan = catalog[subscription.planID] else { return .unknownPlan(subscription.planID) }
        guard let period = subscription.period(at: instant) else { return .beforeAnchor(subscription) }
        guard let terms = plan.metrics[metric] else { return .notInPlan(plan: plan.id, period: period) }
        return .quota(Quota(plan: plan.id, period: period, terms: terms))
    }
}

/// The quota of one metric for one tenant in one billing period.
public struct Quota: Sendable, Hashable {
    public var plan: String
    public var period: BillingPeriod
    public var terms: MetricTerms

    public init(plan: String, period: BillingPeriod, terms: MetricTerms) {
        self.plan = plan
        self.period = period
        self.terms = terms
    }
}

/// The answer to "quota of metric M for tenant T now".
public enum Entitlement: Sendable, Hashable {
    case quota(Quota)
    /// The plan does not list the metric: nothing included, nothing billed.
    case notInPlan(plan: String, period: BillingPeriod)
    case noSubscription
    /// The subscription names a plan the catalog lacks (removed from config and database).
    case unknownPlan(String)
    /// The subscription has started but its billing anchor lies in the future.
    case beforeAnchor(Subscription)
}
