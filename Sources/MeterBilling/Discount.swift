public import MeterCore
public import MeterPlans

/// A coupon's discount as applied to one invoice (docs/billing.md "Discounts and tax").
public struct Discount: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Percent off the subtotal: `20` is 20 %.
        case percent(Quantity)
        /// A fixed amount off, at most the subtotal.
        case amount(Money)
    }

    public var code: String
    public var kind: Kind

    public init(code: String, kind: Kind) {
        self.code = code
        self.kind = kind
    }

    /// The discount on `base` (the subtotal left by earlier discounts), rounded to `decimals`,
    /// as a positive amount never above `base`; nothing on a base of zero or less.
    public func amount(on base: Money, decimals: Int) -> Money {
        guard base.micros > 0 else { return .zero }
        switch kind {
        case .percent(let percent):
            // base (10^-6) x percent (10^-6) is in 10^-12 units: exact until this one rounding.
            let off = ExactCharge.rounded(numerator: Int128(base.micros) * Int128(percent.units), denominator: 100, decimals: decimals)
            return min(off, base)
        case .amount(let amount):
            return min(amount, base)
        }
    }
}

/// Tax of a customer's region, from the rate table (`meterd.tax_rates`).
public struct TaxRate: Sendable, Hashable {
    /// `US-CA`, `DE`.
    public var region: String
    /// As printed on the invoice: `VAT`, `Sales tax`.
    public var name: String
    /// Percent: `19` is 19 %, `7.25` is 7.25 %.
    public var percent: Quantity

    public init(region: String, name: String, percent: Quantity) {
        self.region = region
        self.name = name
        self.percent = percent
    }

    /// The tax on `base`, rounded once to `decimals` (negative on a negative base).
    public func amount(on base: Money, decimals: Int) -> Money {
        ExactCharge.rounded(numerator: Int128(base.micros) * Int128(percent.units), denominator: 100, decimals: decimals)
    }
}

extension ExactCharge {
    /// `numerator / denominator` picos (numerator in 10^-12 units), rounded once to `decimals`.
    static func rounded(numerator: Int128, denominator: Int128, decimals: Int) -> Money {
        let scale = pow10(12 - decimals)
        let minor = divideRoundingHalfAwayFromZero(numerator, by: denominator * scale)
        return Money(micros: Int64(minor * pow10(6 - decimals)))
    }
}
