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
        var index = 0
        let count = bytes.count
        var negative = false
        if count > 0 && bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        // Accumulate as a negative number so Int64.min is representable.
        var accumulated: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenDot = false
        var overflow = false
        while index < count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                if seenDot { return .failure(.malformed) }
                seenDot = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            if digit > 9 { return .failure(.malformed) }
            digits += 1
            if seenDot {
                if fractionDigits == Quantity.scale {
                    if digit != 0 { return .failure(.tooPrecise) }
                    continue
                }
                fractionDigits += 1
            }
            if overflow { continue }
            let (shifted, o1) = accumulated.multipliedReportingOverflow(by: 10)
            let (next, o2) = shifted.subtractingReportingOverflow(Int64(digit))
            if o1 || o2 { overflow = true } else { accumulated = next }
        }
        if digits == 0 { return .failure(.malformed) }
        if overflow { return .failure(.outOfRange) }
        var remainingScale = Quantity.scale - fractionDigits
        while remainingScale > 0 {
            let (shifted, o) = accumulated.multipliedReportingOverflow(by: 10)
            if o { return .failure(.outOfRange) }
            accumulated = shifted
            remainingScale -= 1
        }
        if negative { return .success(Quantity(units: accumulated)) }
        if accumulated == .min { return .failure(.outOfRange) }
        return .success(Quantity(units: -accumulated))
    }

    /// Parses a decimal from text; a convenience for configuration and tests.
    public init?(_ text: String) {
        var text = text
        let result = text.withUTF8 { Quantity.parse(UnsafeRawBufferPointer($0)) }
        guard case .success(let value) = result else { return nil }
        self = value
    }
}
