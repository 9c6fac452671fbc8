public import MeterPlans

/// Amounts as decimal text for invoices: the currency's decimals, never through binary
/// floating point (docs/billing.md "Output").
public enum MoneyFormat {
    /// `money` with at least `decimals` fractional digits: `135.03` (2), `135` (0), `-12.50`,
    /// `0.000` (3). Invoice amounts are rounded to the currency's minor unit when made, so they
    /// come out with exactly `decimals` digits; a finer unit price (`0.015` in USD) keeps its
    /// digits rather than being shown rounded. No grouping: the form for JSON.
    public static func plain(_ money: Money, decimals: Int) -> String {
        let decimals = min(max(decimals, 0), 6)
        // The magnitude as UInt64 so Int64.min formats too.
        let magnitude = money.micros.magnitude
        let whole = magnitude / 1_000_000
        let fraction = String(magnitude % 1_000_000)
        var digits = Array(String(repeating: "0", count: 6 - fraction.count) + fraction)
        while digits.count > decimals, digits.last == "0" { digits.removeLast() }
        var text = money.micros < 0 ? "-" : ""
        text += String(whole)
        if !digits.isEmpty { text += "." + String(digits) }
        return text
    }

    /// `money` in `currency`'s decimals (`CurrencyUnits`), no grouping.
    public static func plain(_ money: Money, currency: String) -> String {
        plain(money, decimals: CurrencyUnits.decimals(currency))
    }

    /// As `plain`, with the whole part grouped by thousands: `1,234,567.89`, `-12,500`. For
    /// people (HTML, text), never for JSON.
    public static func grouped(_ money: Money, decimals: Int) -> String {
        groupingThousands(plain(money, decimals: decimals))
    }

    /// `money` in `currency`'s decimals, grouped by thousands.
    public static func grouped(_ money: Money, currency: String) -> String {
        grouped(money, decimals: CurrencyUnits.decimals(currency))
    }

    /// A plain decimal (`-1234567.5`) with its whole part grouped by thousands (`-1,234,567.5`):
    /// for quantities as well as amounts.
    public static func groupingThousands(_ decimal: String) -> String {
        let negative = decimal.hasPrefix("-")
        let unsigned = negative ? decimal.dropFirst() : Substring(decimal)
        let whole = unsigned.prefix { $0 != "." }
        let rest = unsigned.dropFirst(whole.count)
        var grouped = ""
        for (offset, digit) in whole.enumerated() {
            if offset > 0, (whole.count - offset) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (negative ? "-" : "") + grouped + rest
    }
}
