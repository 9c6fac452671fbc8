extension Quantity: CustomStringConvertible {
    /// The exact decimal, trailing fractional zeros removed (`1.5`, `-0.000001`, `42`).
    public var description: String { formatDecimal(Int128(units)) }
}

extension QuantitySum: CustomStringConvertible {
    /// The exact decimal, trailing fractional zeros removed.
    public var description: String { formatDecimal(units) }
}

/// Formats `units` (scaled by 10^`Quantity.scale`) as a plain decimal string.
func formatDecimal(_ units: Int128) -> String {
    let negative = units < 0
    // Work on the magnitude as UInt128 so Int128.min formats correctly.
    let magnitude = units.magnitude
    let scale = UInt128(Quantity.unitsPerWhole)
    let whole = magnitude / scale
    var fraction = magnitude % scale
    var text = negative ? "-" : ""
    text += String(whole)
    if fraction != 0 {
        var digits = Quantity.scale
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let fractionText = String(fraction)
        text += "."
        text += String(repeating: "0", count: digits - fractionText.count)
        text += fractionText
    }
    return text
}
