import MeterCore

/// How much of a metric a plan includes per billing period.
public enum Allowance: Sendable, Hashable, CustomStringConvertible {
    /// Up to this quantity per period; beyond it is overage.
    case limited(Quantity)
    case unlimited

    public var description: String {
        switch self {
        case .limited(let quantity): quantity.description
        case .unlimited: "unlimited"
        }
    }
}

/// One metric of a plan: what is included per period and how units beyond it are priced.
public struct MetricTerms: Sendable, Hashable {
    public var included: Allowance
    /// Units beyond `included`; nil when the plan bills no overage for it (an unlimited
    /// metric, a contract plan, or a limit that is enforced rather than billed).
    public var overage: OverageRate?

    public init(included: Allowance, overage: OverageRate? = nil) {
        self.included = included
        self.overage = overage
    }

    /// A per-unit overage price (the common case), or none.
    public init(included: Allowance, overagePrice: Money?) {
        self.init(included: included, overage: overagePrice.map(OverageRate.perUnit))
    }

    /// The price of the first unit beyond `included` (`OverageRate.firstUnitPrice`).
    public var overagePrice: Money? { overage?.firstUnitPrice }

    /// Whether usage beyond `included` is billed rather than refused.
    public var billsOverage: Bool { overage != nil }
}

/// What a plan costs: list prices, or a contract negotiated per customer (enterprise).
public enum Pricing: Sendable, Hashable {
    case list(monthly: Money, annual: Money)
    /// Prices live in the customer's contract, outside meterd; billing asks the contract.
    case contract
}

/// A plan of the catalog.
public struct Plan: Sendable, Hashable, Identifiable {
    /// Stable identifier, as subscriptions reference it: `starter`.
    public var id: String
    /// Display name: `Starter`.
    public var name: String
    public var pricing: Pricing
    /// Terms by metric name as in the line protocol (`ai_interactions`). A metric not listed
    /// is not part of the plan (no quota, no overage).
    public var metrics: [String: MetricTerms]
    /// Feature flags the plan grants (`ambient_scribe`).
    public var features: Set<String>

    public init(id: String, name: String, pricing: Pricing, metrics: [String: MetricTerms] = [:], features: Set<String> = []) {
        self.id = id
        self.name = name
        self.pricing = pricing
        self.metrics = metrics
        self.features = features
    }
}

/// The plans, by id, and the currency of their prices.
public struct PlanCatalog: Sendable, Hashable {
    /// ISO 4217 code, e.g. `USD`.
    public var currency: String
    public var plans: [String: Plan]

    public init(currency: String, plans: [Plan]) {
        self.currency = currency
        self.plans = Dictionary(plans.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(id: String) -> Plan? { plans[id] }

    /// The plan ids, sorted.
    public var ids: [String] { plans.keys.sorted() }

    public static let empty = PlanCatalog(currency: "USD", plans: [])
}
