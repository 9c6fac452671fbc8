import MeterCore
import MeterPlans

/// An `OverageRate` as migration 8 stores it: `plan_metrics.rate_model`, `overage_price` and
/// `package_size`, and the rows of `plan_metric_tiers` (docs/plans.md "Tables").
struct StoredRate: Equatable {
    /// `per_unit`, `tiered`, `volume` or `package`.
    var model: String
    /// Non-nil exactly when overage is billed: the unit price, a package's price, or a tier
    /// list's first unit price.
    var overagePrice: Money?
    var packageSize: Quantity?
    var tiers: [RateTier]

    init(model: String, overagePrice: Money?, packageSize: Quantity?, tiers: [RateTier]) {
        self.model = model
        self.overagePrice = overagePrice
        self.packageSize = packageSize
        self.tiers = tiers
    }

    /// The columns for `rate` (nil: no overage billed).
    init(_ rate: OverageRate?) {
        switch rate {
        case nil: self.init(model: "per_unit", overagePrice: nil, packageSize: nil, tiers: [])
        case .perUnit(let price)?: self.init(model: "per_unit", overagePrice: price, packageSize: nil, tiers: [])
        case .tiered(let tiers)?: self.init(model: "tiered", overagePrice: tiers.first?.unitPrice, packageSize: nil, tiers: tiers)
        case .volume(let tiers)?: self.init(model: "volume", overagePrice: tiers.first?.unitPrice, packageSize: nil, tiers: tiers)
        case .package(let size, let price)?: self.init(model: "package", overagePrice: price, packageSize: size, tiers: [])
        }
    }

    struct Unusable: Error {
        var reason: String
    }

    /// The rate these columns describe (nil: none), or why they describe none a plans file
    /// could: the same checks as the file (`OverageRate.locatedTierProblem`, `maxTiers`).
    func rate() throws(Unusable) -> OverageRate? {
        if model != "tiered" && model != "volume" && !tiers.isEmpty {
            throw Unusable(reason: "has tiers in plan_metric_tiers but rate_model '\(model)'")
        }
        switch model {
        case "per_unit":
            return overagePrice.map(OverageRate.perUnit)
        case "package":
            guard let size = packageSize, let price = overagePrice else { throw Unusable(reason: "package rate without package_size and overage_price") }
            return .package(size: size, price: price)
        case "tiered", "volume":
            guard tiers.count <= OverageRate.maxTiers else { throw Unusable(reason: "has \(tiers.count) tiers, at most \(OverageRate.maxTiers)") }
            if let problem = OverageRate.tierProblem(tiers) { throw Unusable(reason: "\(model) rate \(problem)") }
            guard overagePrice == tiers.first?.unitPrice else {
                throw Unusable(reason: "overage_price \(overagePrice?.description ?? "NULL") differs from the first tier's unit_price \(tiers[0].unitPrice)")
            }
            return model == "tiered" ? .tiered(tiers) : .volume(tiers)
        default:
            throw Unusable(reason: "unknown rate_model '\(model)'")
        }
    }
}
