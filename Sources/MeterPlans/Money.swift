import MeterCore

/// An exact, non-negative amount of the catalog's currency, in millionths (the same 6
/// fractional digits as `Quantity`, so price x quantity stays exact in `Int128`). Its own type
/// so a price is never added to a usage quantity by mistake (docs/decisions.md "Money").
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Millionths of the currency unit.
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }

    public static let zero = Money(micros: 0)

    /// A decimal such as `299`, `0.05`; nil when it is not a decimal with at most 6 fractional
    /// digits, is negative or is out of range.
    public init?(_ text: String) {
        guard let quantity = Quantity(text), quantity.units >= 0 else { return nil }
        micros = quantity.units
    }

    /// The exact decimal (`0.05`, `2990`), as PostgreSQL's numeric reads it.
    public var description: String { Quantity(units: micros).description }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.micros < rhs.micros }
}
