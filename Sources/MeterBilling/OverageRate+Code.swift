import MeterCore
public import MeterPlans

/// A compact, exact text form of an overage rate, stored beside billed usage so a late-usage
/// adjustment is priced at the rate of the original invoice, whatever the catalog says now:
/// `unit:0.05`, `tiered:1000@0.02,5000@0.015,*@0.01`, `volume:100@0.25,*@0.2`, `package:1000@1`.
extension OverageRate {
    public var code: String {
        func tiers(_ list: [RateTier]) -> String {
            list.map { "\($0.upTo?.description ?? "*")@\($0.unitPrice)" }.joined(separator: ",")
        }
        switch self {
        case .perUnit(let price): return "unit:\(price)"
        case .tiered(let list): return "tiered:\(tiers(list))"
        case .volume(let list): return "volume:\(tiers(list))"
        case .package(let size, let price): return "package:\(size)@\(price)"
        }
    }

    /// Parses `code`; nil when it is not one.
    public init?(code: String) {
        guard let colon = code.firstIndex(of: ":") else { return nil }
        let kind = code[..<colon]
        let body = code[code.index(after: colon)...]
        func pair(_ text: Substring) -> (Quantity?, Money)? {
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, let price = Money(String(parts[1])) else { return nil }
            if parts[0] == "*" { return (nil, price) }
            guard let bound = Quantity(String(parts[0])) else { return nil }
            return (bound, price)
        }
        func tiers() -> [RateTier]? {
            var list: [RateTier] = []
            for item in body.split(separator: ",") {
                guard let (bound, price) = pair(item) else { return nil }
                list.append(RateTier(upTo: bound, unitPrice: price))
            }
            return OverageRate.tierProblem(list) == nil ? list : nil
        }
        switch kind {
        case "unit":
            guard let price = Money(String(body)) else { return nil }
            self = .perUnit(price)
        case "tiered":
            guard let list = tiers() else { return nil }
            self = .tiered(list)
        case "volume":
            guard let list = tiers() else { return nil }
            self = .volume(list)
        case "package":
            guard let (size, price) = pair(body), let size, size > .zero else { return nil }
            self = .package(size: size, price: price)
        default:
            return nil
        }
    }
}
