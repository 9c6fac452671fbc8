/// Invoice and credit-note numbers: `<prefix>-000042`, `<prefix>-CN-000003`, six digits at
/// least (docs/billing.md "Numbers and statuses").
enum InvoiceNumber {
    static func format(prefix: String, number: Int64) -> String {
        let digits = String(number)
        return prefix + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
