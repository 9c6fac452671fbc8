import MeterCore

/// How a plan prices the units of a metric beyond its included quantity (docs/plans.md
/// "Overage rates"). Tier bounds count overage units, not total usage: with 1000 included and
/// a first tier `up_to: 500`, units 1001-1500 of the period are that tier's.
public enum OverageRate: Sendable, Hashable, CustomStringConvertible {
    /// Every overage unit at one price.
    case perUnit(Money)
    /// Graduated: each tier prices the units that fall within it.
    case tiered([RateTier])
    /// All overage units at the price of the tier the total falls in.
    case volume([RateTier])
    /// `price` per started package of `size` units (1,001 units in packages of 1,000: two).
    case package(size: Quantity, price: Money)

    /// The exact charge for `overage` units (zero or negative: nothing).
    public func charge(for overage: Quantity) -> ExactCharge {
        guard overage > .zero else { return .zero }
        let units = Int128(overage.units)
        switch self {
        case .perUnit(let price):
            return ExactCharge(picos: units * Int128(price.micros))
        case .tiered(let tiers):
            var total: Int128 = 0
            var lower: Int128 = 0
            for tier in tiers {
                let upper = tier.upTo.map { Int128($0.units) } ?? units
                let inTier = min(units, upper) - lower
                if inTier > 0 { total += inTier * Int128(tier.unitPrice.micros) }
                if units <= upper { break }
                lower = upper
            }
            return ExactCharge(picos: total)
        case .volume(let tiers):
            let tier = tiers.first { $0.upTo.map { units <= Int128($0.units) } ?? true } ?? tiers[tiers.count - 1]
            return ExactCharge(picos: units * Int128(tier.unitPrice.micros))
        case .package(let size, let price):
            let sizeUnits = Int128(size.units)
            let packages = (units + sizeUnits - 1) / sizeUnits
            return ExactCharge(picos: packages * Int128(price.micros) * Int128(Quantity.unitsPerWhole))
        }
    }

    /// The price of the first overage unit: what an entitlement answer quotes as
    /// `overage_price`; nil for packages, which have no per-unit price.
    public var firstUnitPrice: Money? {
        switch self {
        case .perUnit(let price): price
        case .tiered(let tiers), .volume(let tiers): tiers.first?.unitPrice
        case .package: nil
        }
    }

    /// The problem with a tier list, or nil when it is usable: at least one tier, bounds
    /// positive and strictly ascending, and only the last one unbounded.
    public static func tierProblem(_ tiers: [RateTier]) -> String? { locatedTierProblem(tiers)?.message }

    /// `tierProblem` with the index of the tier at fault (nil: the list as a whole), so the
    /// plans file can name that tier's line.
    public static func locatedTierProblem(_ tiers: [RateTier]) -> (tier: Int?, message: String)? {
        guard let last = tiers.last else { return (nil, "needs at least one tier") }
        if last.upTo != nil { return (tiers.count - 1, "needs a last tier without 'up_to' (it prices every unit beyond the others)") }
        var previous = Quantity.zero
        for (index, tier) in tiers.dropLast().enumerated() {
            guard let upTo = tier.upTo else { return (index, "has a tier without 'up_to' before the last one") }
            if upTo <= previous { return (index, "needs 'up_to' bounds above 0 and strictly ascending, got \(upTo) after \(previous)") }
            previous = upTo
        }
        return nil
    }

    /// At most this many tiers per metric, in the plans file and in the database: price books
    /// have a handful, and the bound keeps a charge a short loop and a catalog readable.
    public static let maxTiers = 32

    /// `0.05`, `tiered(1000 at 0.02, rest at 0.015)`, `package(1000 for 1)`.
    public var description: String {
        func list(_ tiers: [RateTier]) -> String {
            tiers.map { tier in "\(tier.upTo.map { "up to \($0)" } ?? "rest") at \(tier.unitPrice)" }.joined(separator: ", ")
        }
        switch self {
        case .perUnit(let price): return price.description
        case .tiered(let tiers): return "tiered(\(list(tiers)))"
        case .volume(let tiers): return "volume(\(list(tiers)))"
        case .package(let size, let price): return "package(\(size) for \(price))"
        }
    }
}

/// One tier of a tiered or volume rate: overage units up to and including `upTo` (nil: no bound).
public struct RateTier: Sendable, Hashable {
    public var upTo: Quantity?
    public var unitPrice: Money

    public init(upTo: Quantity?, unitPrice: Money) {
        self.upTo = upTo
        self.unitPrice = unitPrice
    }
}

/// An exact amount of money before rounding, in 10^-12 of the currency unit: a quantity
/// (10^-6) times a price (10^-6) needs no rounding until an invoice line rounds it once.
public struct ExactCharge: Sendable, Hashable, Comparable {
    public var picos: Int128

    public init(picos: Int128) { self.picos = picos }

    public static let zero = ExactCharge(picos: 0)

    public static func < (lhs: ExactCharge, rhs: ExactCharge) -> Bool { lhs.picos < rhs.picos }

    public static func + (lhs: ExactCharge, rhs: ExactCharge) -> ExactCharge { ExactCharge(picos: lhs.picos + rhs.picos) }

    public static func - (lhs: ExactCharge, rhs: ExactCharge) -> ExactCharge { ExactCharge(picos: lhs.picos - rhs.picos) }

    /// Rounded to `decimals` fractional digits (0...6), halves away from zero.
    public func rounded(decimals: Int) -> Money {
        Money(micros: Int64(ExactCharge.divideRoundingHalfAwayFromZero(picos, by: ExactCharge.pow10(12 - decimals))
            * ExactCharge.pow10(6 - decimals)))
    }

    /// `numerator / denominator` (denominator > 0) rounded to the nearest integer, halves away from zero.
    public static func divideRoundingHalfAwayFromZero(_ numerator: Int128, by denominator: Int128) -> Int128 {
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        let magnitude = remainder < 0 ? -remainder : remainder
        guard magnitude * 2 >= denominator else { return quotient }
        return numerator < 0 ? quotient - 1 : quotient + 1
    }

    public static func pow10(_ exponent: Int) -> Int128 {
        var value: Int128 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
