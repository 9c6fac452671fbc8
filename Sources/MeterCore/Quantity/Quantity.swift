/// An exact decimal quantity with a fixed scale of six fractional digits.
///
/// Usage values never pass through binary floating point: `1.1` on the wire is exactly
/// 1_100_000 units here. One event's value is an `Int64` count of micro-units, so its
/// range is ±9_223_372_036_854.775807; sums are kept in `QuantitySum` (128 bits), which a
/// single flush interval cannot overflow.
public struct Quantity: Sendable, Hashable, Comparable {
    /// Fractional decimal digits carried exactly.
    @inlinable public static var scale: Int { 6 }
    /// Units in one whole: 10^scale.
    @inlinable public static var unitsPerWhole: Int64 { 1_000_000 }

    @inlinable public static var zero: Quantity { Quantity(units: 0) }
    @inlinable public static var max: Quantity { Quantity(units: .max) }
    @inlinable public static var min: Quantity { Quantity(units: .min) }

    /// The value times 10^scale.
    public var units: Int64

    @inlinable
    public init(units: Int64) { self.units = units }

    /// A whole number of units, e.g. `Quantity(whole: 5)` is 5.000000.
    /// Returns nil when the value does not fit.
    @inlinable
    public init?(whole: Int64) {
        let (units, overflow) = whole.multipliedReportingOverflow(by: Quantity.unitsPerWhole)
        if overflow { return nil }
        self.units = units
    }

    @inlinable
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.units < rhs.units }
}

/// A 128-bit accumulator of `Quantity` units, for sums and time-weighted integrals.
///
/// 2^127 micro-units is about 1.7e32 wholes: no realistic flush interval can overflow it,
/// and additions still check so an overflow is reported, never wrapped.
public struct QuantitySum: Sendable, Hashable, Comparable {
    @inlinable public static var zero: QuantitySum { QuantitySum(units: 0) }

    /// The value times 10^`Quantity.scale`.
    public var units: Int128

    @inlinable
    public init(units: Int128) { self.units = units }

    @inlinable
    public init(_ quantity: Quantity) { self.units = Int128(quantity.units) }

    /// Adds `other`; returns false (and leaves `self` unchanged) on overflow.
    @inlinable
    @discardableResult
    public mutating func add(_ other: QuantitySum) -> Bool {
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        if overflow { return false }
        units = sum
        return true
    }

    @inlinable
    @discardableResult
    public mutating func add(_ quantity: Quantity) -> Bool {
        add(QuantitySum(quantity))
    }

    @inlinable
    public static func < (lhs: QuantitySum, rhs: QuantitySum) -> Bool { lhs.units < rhs.units }
}
