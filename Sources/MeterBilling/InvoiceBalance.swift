public import MeterPlans

/// What the customer still owes on an invoice, as the renderings show it.
public enum InvoiceBalance {
    /// The total less the credit notes for a draft or finalized invoice; zero once paid (a
    /// credit note on a paid invoice is a refund, not a balance) or void (nothing is owed).
    public static func due(_ invoice: Invoice) -> Money {
        switch invoice.status {
        case .draft, .finalized: Money(micros: invoice.total.micros - invoice.credited.micros)
        case .paid, .void: .zero
        }
    }
}
