import MeterCore
import MeterPlans

/// The outcome of an entitlement check for one tenant and metric.
public enum EntitlementResult: Sendable, Equatable {
    case answer(EntitlementAnswer)
    /// No subscription in force now: the tenant is unknown to the plan book (HTTP 404).
    case noSubscription
    /// The subscription names a plan the catalog lacks.
    case unknownPlan(String)
    /// The subscription started but its billing anchor lies ahead: no period yet.
    case beforeAnchor
    /// The tenant's usage is being read (start-up, a new subscription): ask again shortly (503).
    case seeding
}

/// What a tenant used of a metric in its current billing period, against its plan.
///
/// - `limit`: the included quota; nil when unlimited or when the plan does not list the metric
///   (then `inPlan` is false).
/// - `remaining`: `limit - used`, never below zero; nil when unlimited.
/// - `withinQuota`: unlimited, or `used < limit`.
/// - `allowed`: the metric is in the plan and either within its quota or billed as overage
///   beyond it (the plan has an overage price). A limit without an overage price is a hard cap.
public struct EntitlementAnswer: Sendable, Equatable {
    public let tenant: String
    public let metric: String
    public let plan: String
    public let window: UsageWindow
    public let usage: PeriodUsage
    public let terms: MetricTerms?
    public let nowMilliseconds: Int64

    public var inPlan: Bool { terms != nil }
    public var used: QuantitySum { usage.used }

    public var limit: Quantity? {
        guard case .limited(let quota)? = terms?.included else { return nil }
        return quota
    }

    public var unlimited: Bool { terms?.included == .unlimited }

    public var remaining: QuantitySum? {
        if unlimited { return nil }
        guard let limit else { return .zero }
        let left = Int128(limit.units) - used.units
        return QuantitySum(units: max(0, left))
    }

    public var withinQuota: Bool {
        guard let terms else { return false }
        guard case .limited(let quota) = terms.included else { return true }
        return used.units < Int128(quota.units)
    }

    public var allowed: Bool { withinQuota || (inPlan && terms?.billsOverage == true) }

    public var overagePrice: Money? { terms?.overagePrice }

    /// Why `allowed` is what it is, one word: `within_quota`, `unlimited`, `overage_billed`,
    /// `quota_exhausted`, `not_in_plan`.
    public var reason: String {
        guard let terms else { return "not_in_plan" }
        if terms.included == .unlimited { return "unlimited" }
        if withinQuota { return "within_quota" }
        return terms.billsOverage ? "overage_billed" : "quota_exhausted"
    }

    public var forecast: UsageForecast { UsageForecast(answer: self) }
}
