import Foundation
import MeterCore
import Yams

/// The plans file (`config/plans.yaml`, docs/plans.md): parsed with Yams' node API so every
/// problem names its line, and checked completely (unknown keys, prices, quotas, names).
public enum PlanFile {
    /// Reads and checks the file at `path`.
    public static func load(path: String) throws(PlanFileError) -> PlanCatalog {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PlanFileError(problems: [.init(path: path, line: nil, message: "cannot be read: \(error.localizedDescription)")])
        }
        return try parse(text, path: path)
    }

    /// Parses `text`; `path` only names the file in problems.
    public static func parse(_ text: String, path: String) throws(PlanFileError) -> PlanCatalog {
        var parser = Parser(path: path)
        let catalog = parser.catalog(text)
        guard parser.problems.isEmpty, let catalog else { throw PlanFileError(problems: parser.problems) }
        return catalog
    }

    /// Internal so the overage rates' part (PlanFile+Overage.swift) can extend it.
    struct Parser {
        let path: String
        var problems: [PlanFileError.Problem] = []

        mutating func fail(_ node: Node?, _ message: String) {
            problems.append(.init(path: path, line: node?.mark.map { $0.line }, message: message))
        }

        mutating func catalog(_ text: String) -> PlanCatalog? {
            let root: Node?
            do { root = try Yams.compose(yaml: text) } catch {
                fail(nil, "is not valid YAML: \(error)")
                return nil
            }
            guard let root, let top = mapping(root, "the file") else {
                if root == nil { fail(nil, "is empty: it must define 'plans'") }
                return nil
            }
            checkKeys(top, allowed: ["currency", "plans"], in: "the file")
            var currency = "USD"
            if let node = top["currency"], let text = scalar(node, "currency") {
                if let problem = PlanNames.currencyProblem(text) { fail(node, "currency '\(text)' \(problem)") } else { currency = text }
            }
            guard let plansNode = top["plans"] else {
                fail(root, "'plans' is missing")
                return nil
            }
            guard let plansMapping = mapping(plansNode, "plans") else { return nil }
            if plansMapping.count == 0 { fail(plansNode, "'plans' defines no plan") }
            var plans: [Plan] = []
            for (keyNode, value) in plansMapping {
                guard let id = scalar(keyNode, "a plan id") else { continue }
                if let problem = PlanNames.identifierProblem(id) {
                    fail(keyNode, "plan id '\(id)' \(problem)")
                    continue
                }
                if let plan = plan(id: id, value) { plans.append(plan) }
            }
            return PlanCatalog(currency: currency, plans: plans)
        }

        mutating func plan(id: String, _ node: Node) -> Plan? {
            let what = "plan '\(id)'"
            guard let fields = mapping(node, what) else { return nil }
            checkKeys(fields, allowed: ["name", "pricing", "monthly_price", "annual_price", "included", "overage", "features"], in: what)
            let name = fields["name"].flatMap { scalar($0, "\(what) name") } ?? id
            let startCount = problems.count

            var pricing = Pricing.contract
            let kind = fields["pricing"].flatMap { scalar($0, "\(what) pricing") } ?? "list"
            switch kind {
            case "list":
                let monthly = price(fields, "monthly_price", what: what)
                let annual = price(fields, "annual_price", what: what)
                if let monthly, let annual { pricing = .list(monthly: monthly, annual: annual) }
            case "contract":
                for key in ["monthly_price", "annual_price"] where fields[key] != nil {
                    fail(fields[key], "\(what): \(key) cannot be set with 'pricing: contract' (the contract sets prices)")
                }
            default:
                fail(fields["pricing"], "\(what): pricing must be 'list' or 'contract', got '\(kind)'")
            }

            var metrics: [String: MetricTerms] = [:]
            if let includedNode = fields["included"], let included = mapping(includedNode, "\(what) included") {
                for (metricNode, valueNode) in included {
                    guard let metric = metricName(metricNode, what: what), let text = scalar(valueNode, "\(what) included.\(metric)") else { continue }
                    if text == "unlimited" {
                        metrics[metric] = MetricTerms(included: .unlimited)
                    } else if let quantity = Quantity(text), quantity >= .zero {
                        metrics[metric] = MetricTerms(included: .limited(quantity))
                    } else {
                        fail(valueNode, "\(what): included.\(metric) must be a non-negative decimal (at most 6 fractional digits) or 'unlimited', got '\(text)'")
                    }
                }
            }
            if let overageNode = fields["overage"], let overage = mapping(overageNode, "\(what) overage") {
                if kind == "contract" {
                    // The key's line: a nested mapping's own mark is its first entry.
                    let keyNode = fields.first { $0.key.scalar?.string == "overage" }?.key
                    fail(keyNode ?? overageNode, "\(what): overage cannot be set with 'pricing: contract' (the contract sets prices)")
                }
                for (metricNode, valueNode) in overage {
                    guard let metric = metricName(metricNode, what: what),
                          let rate = overageRate(valueNode, key: metricNode, what: what, metric: metric) else { continue }
                    switch metrics[metric]?.included {
                    case nil: fail(metricNode, "\(what): overage.\(metric) has no included quantity (add it under 'included', 0 for pay-per-use)")
                    case .unlimited: fail(metricNode, "\(what): overage.\(metric) is set but the metric is unlimited")
                    case .limited: metrics[metric]?.overage = rate
                    }
                }
            }
            var features: Set<String> = []
            if let featuresNode = fields["features"] {
                if case .sequence(let list) = featuresNode {
                    for item in list {
                        guard let feature = scalar(item, "\(what) feature") else { continue }
                        if let problem = PlanNames.identifierProblem(feature) { fail(item, "\(what): feature '\(feature)' \(problem)") }
                        if !features.insert(feature).inserted { fail(item, "\(what): feature '\(feature)' is listed twice") }
                    }
                } else {
                    fail(featuresNode, "\(what): features must be a list, e.g. [ambient_scribe, coding_agent]")
                }
            }
            guard problems.count == startCount else { return nil }
            return Plan(id: id, name: name, pricing: pricing, metrics: metrics, features: features)
        }

        mutating func price(_ fields: Node.Mapping, _ key: String, what: String) -> Money? {
            guard let node = fields[key] else {
                fail(nil, "\(what): \(key) is missing (or set 'pricing: contract')")
                problems[problems.count - 1].line = fields.first?.key.mark?.line
                return nil
            }
            guard let text = scalar(node, "\(what) \(key)") else { return nil }
            guard let money = Money(text) else {
                fail(node, "\(what): \(key) must be a non-negative decimal with at most 6 fractional digits, got '\(text)'")
                return nil
            }
            return money
        }

        mutating func metricName(_ node: Node, what: String) -> String? {
            guard let metric = scalar(node, "\(what) metric name") else { return nil }
            if let problem = PlanNames.metricProblem(metric) {
                fail(node, "\(what): metric name '\(metric)' \(problem)")
                return nil
            }
            return metric
        }

        mutating func mapping(_ node: Node, _ what: String) -> Node.Mapping? {
            guard case .mapping(let mapping) = node else {
                fail(node, "\(what) must be a mapping (key: value)")
                return nil
            }
            var seen: Set<String> = []
            for key in mapping.keys {
                if let text = key.scalar?.string, !seen.insert(text).inserted { fail(key, "\(what): '\(text)' is given twice") }
            }
            return mapping
        }

        mutating func scalar(_ node: Node, _ what: String) -> String? {
            guard case .scalar(let scalar) = node, node.null == nil else {
                fail(node, "\(what) must be a single value")
                return nil
            }
            return scalar.string
        }

        mutating func checkKeys(_ mapping: Node.Mapping, allowed: Set<String>, in what: String) {
            for key in mapping.keys {
                guard let text = key.scalar?.string else { continue }
                if !allowed.contains(text) { fail(key, "\(what): unknown key '\(text)' (known: \(allowed.sorted().joined(separator: ", ")))") }
            }
        }
    }
}
