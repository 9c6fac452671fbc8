import MeterCore
import Yams

/// A metric's value under `overage:` (docs/plans.md "Overage rates"): a decimal, the price per
/// unit, or a mapping with exactly one rate model, `tiered`, `volume` or `package`.
extension PlanFile.Parser {
    static let rateModels: Set<String> = ["tiered", "volume", "package"]

    /// The rate, or nil after recording every problem. `key` is the metric's key node (the
    /// line of problems with the value as a whole); `what` names the plan.
    mutating func overageRate(_ node: Node, key: Node, what: String, metric: String) -> OverageRate? {
        let field = "\(what): overage.\(metric)"
        switch node {
        case .mapping:
            return modelRate(node, key: key, field: field)
        case .scalar:
            guard let text = scalar(node, "\(what) overage.\(metric)") else { return nil }
            guard let money = Money(text) else {
                fail(node, "\(field) must be a non-negative decimal price per unit (at most 6 fractional digits), got '\(text)'")
                return nil
            }
            return .perUnit(money)
        default:
            fail(node, "\(field) must be a price per unit or a mapping with one of \(Self.modelList)")
            return nil
        }
    }

    private static var modelList: String { rateModels.sorted().joined(separator: ", ") }

    private mutating func modelRate(_ node: Node, key: Node, field: String) -> OverageRate? {
        guard let fields = mapping(node, field) else { return nil }
        checkKeys(fields, allowed: Self.rateModels, in: field)
        let models = fields.filter { Self.rateModels.contains($0.key.scalar?.string ?? "") }
        guard let first = models.first, let model = first.key.scalar?.string else {
            if fields.count == 0 { fail(key, "\(field) must name a rate model: one of \(Self.modelList)") }
            return nil
        }
        if models.count > 1 {
            let names = models.compactMap { $0.key.scalar?.string }
            fail(models[1].key, "\(field) gives more than one rate model (\(names.joined(separator: ", "))): keep one")
            return nil
        }
        switch model {
        case "tiered": return tiers(first.value, key: first.key, field: "\(field).tiered").map(OverageRate.tiered)
        case "volume": return tiers(first.value, key: first.key, field: "\(field).volume").map(OverageRate.volume)
        default: return package(first.value, key: first.key, field: "\(field).package")
        }
    }

    /// A list of `{up_to, unit_price}` tiers, ascending, the last without `up_to`.
    private mutating func tiers(_ node: Node, key: Node, field: String) -> [RateTier]? {
        guard case .sequence(let items) = node else {
            fail(node, "\(field) must be a list of tiers, e.g. [{up_to: 1000, unit_price: 0.02}, {unit_price: 0.01}]")
            return nil
        }
        guard items.count <= OverageRate.maxTiers else {
            fail(key, "\(field) has \(items.count) tiers, at most \(OverageRate.maxTiers)")
            return nil
        }
        let startCount = problems.count
        var tiers: [RateTier] = []
        for (index, item) in items.enumerated() {
            let tierField = "\(field) tier \(index + 1)"
            guard let tierFields = mapping(item, tierField) else { continue }
            checkKeys(tierFields, allowed: ["up_to", "unit_price"], in: tierField)
            var upTo: Quantity?
            if let boundNode = tierFields["up_to"], let text = scalar(boundNode, "\(tierField) up_to") {
                upTo = Quantity(text).flatMap { $0 > .zero ? $0 : nil }
                if upTo == nil {
                    fail(boundNode, "\(tierField): up_to must be a positive decimal (overage units, at most 6 fractional digits), got '\(text)'")
                }
            }
            guard let price = requiredMoney(tierFields, "unit_price", at: item, field: tierField) else { continue }
            tiers.append(RateTier(upTo: upTo, unitPrice: price))
        }
        guard problems.count == startCount else { return nil }
        if let problem = OverageRate.locatedTierProblem(tiers) {
            fail(problem.tier.map { items[$0] } ?? key, "\(field) \(problem.message)")
            return nil
        }
        return tiers
    }

    /// `{size, price}`: `price` per started package of `size` units.
    private mutating func package(_ node: Node, key: Node, field: String) -> OverageRate? {
        guard let fields = mapping(node, field) else { return nil }
        checkKeys(fields, allowed: ["size", "price"], in: field)
        var size: Quantity?
        if let sizeNode = fields["size"] {
            if let text = scalar(sizeNode, "\(field) size") {
                size = Quantity(text).flatMap { $0 > .zero ? $0 : nil }
                if size == nil { fail(sizeNode, "\(field): size must be a positive decimal (units per package, at most 6 fractional digits), got '\(text)'") }
            }
        } else {
            fail(key, "\(field): size is missing")
        }
        let price = requiredMoney(fields, "price", at: key, field: field)
        guard let size, let price else { return nil }
        return .package(size: size, price: price)
    }

    /// The price under `name`, or nil after a problem (missing: on `at`'s line).
    private mutating func requiredMoney(_ fields: Node.Mapping, _ name: String, at: Node, field: String) -> Money? {
        guard let node = fields[name] else {
            fail(at, "\(field): \(name) is missing")
            return nil
        }
        guard let text = scalar(node, "\(field) \(name)") else { return nil }
        guard let money = Money(text) else {
            fail(node, "\(field): \(name) must be a non-negative decimal price (at most 6 fractional digits), got '\(text)'")
            return nil
        }
        return money
    }
}
