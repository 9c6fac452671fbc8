/// Why a byte string is not a valid `Quantity`.
public enum QuantityParseError: Error, Sendable, Hashable {
    /// Not a plain decimal: empty, a sign alone, letters, an exponent, a second dot, a `+`.
    case malformed
    /// More than `Quantity.scale` significant fractional digits.
    case tooPrecise
    /// Larger in magnitude than `Quantity` can hold.
    case outOfRange
}

extension Quantity {
    /// Parses a plain decimal: an optional `-`, digits, and an optional `.` with digits
    /// (`12`, `-0.5`, `.25`, `3.`, `1.500000000`). Trailing fractional zeros beyond the scale
    /// are accepted because they change nothing; any other extra digit is `tooPrecise`.
    /// Never traps and never reads outside `bytes`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<Quantity, QuantityParseError> {
        let count = bytes.count
        var index = 0
        var negative = false
        if count > 0 && bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        // Digits accumulate unchecked while the magnitude stays below `accumulateLimit`; past it
        // the value cannot fit anyway and is remembered as out of range (after the whole text has
        // been checked for being well formed).
        let accumulateLimit: UInt64 = (UInt64.max - 9) / 10
        var magnitude: UInt64 = 0
        var sawDigit = false
        var fractionDigits = 0
        var seenDot = false
        var tooLarge = false
        while index < count {
            let byte = bytes[index]
            index += 1
            let digit = byte &- UInt8(ascii: "0")
            if digit > 9 {
                if byte == UInt8(ascii: ".") && !seenDot {
                    seenDot = true
                    continue
                }
                return .failure(.malformed)
            }
            sawDigit = true
            if seenDot {
                if fractionDigits == Quantity.scale {
                    // Beyond the scale only zeros are exact.
                    if digit != 0 { return .failure(.tooPrecise) }
                    continue
                }
                fractionDigits += 1
            }
            if magnitude > accumulateLimit { tooLarge = true } else { magnitude = magnitude &* 10 &+ UInt64(digit) }
        }
        if !sawDigit { return .failure(.malformed) }
        if tooLarge { return .failure(.outOfRange) }
        var scaleFactor: UInt64 = 1
        for _ in fractionDigits ..< Quantity.scale { scaleFactor &*= 10 }
        let (units, overflow) = magnitude.multipliedReportingOverflow(by: scaleFactor)
        if overflow { return .failure(.outOfRange) }
        if negative {
            if units > UInt64(Int64.max) + 1 { return .failure(.outOfRange) }
            return .success(Quantity(units: Int64(truncatingIfNeeded: 0 &- units)))
        }
        if units > UInt64(Int64.max) { return .failure(.outOfRange) }
        return .success(Quantity(units: Int64(units)))
    }

    /// Parses a decimal from text; a convenience for configuration and tests.
    public init?(_ text: String) {
        var text = text
        let result = text.withUTF8 { Quantity.parse(UnsafeRawBufferPointer($0)) }
        guard case .success(let value) = result else { return nil }
        self = value
    }
}
