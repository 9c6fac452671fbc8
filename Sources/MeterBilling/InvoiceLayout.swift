/// What the HTML and text renderings share: which lines are charges and how they are numbered
/// and named, so "line 3" means the same line in both.
enum InvoiceLayout {
    /// The charge lines (fees, prorations, overage, adjustments), numbered from 1 in invoice
    /// order; discounts and tax are shown with the totals instead.
    static func numberedCharges(_ invoice: Invoice) -> [(number: Int, line: InvoiceLine)] {
        invoice.lines.filter { $0.kind != .discount && $0.kind != .tax }.enumerated().map { ($0.offset + 1, $0.element) }
    }

    static func kindName(_ kind: InvoiceLine.Kind) -> String {
        switch kind {
        case .subscription: "Subscription"
        case .proration: "Proration"
        case .overage: "Overage"
        case .adjustment: "Late usage"
        case .discount: "Discount"
        case .tax: "Tax"
        }
    }

    static func discountDetails(_ invoice: Invoice) -> [String] { invoice.lines.filter { $0.kind == .discount }.map(\.description) }

    static func taxDetails(_ invoice: Invoice) -> [String] { invoice.lines.filter { $0.kind == .tax }.map(\.description) }
}
