/// The minor unit of a currency: the decimals an invoice amount is rounded to (ISO 4217
/// exponents). Currencies not listed have two, the common case.
public enum CurrencyUnits {
    static let exceptions: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
        "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]

    /// Fractional digits of `currency` (`USD`: 2, `JPY`: 0, `KWD`: 3).
    public static func decimals(_ currency: String) -> Int { exceptions[currency] ?? 2 }
}
