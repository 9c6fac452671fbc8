public import MeterCore
public import MeterPlans

/// A stored invoice (`meterd.invoices`), as shown and rendered.
public struct Invoice: Sendable, Hashable {
    /// `draft -> finalized -> paid | void` (docs/billing.md "Invoices").
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case draft, finalized, paid, void
    }

    public var id: Int64
    public var tenant: String
    /// `ACME-000042`; nil while a draft (numbers are given at finalization, gap-free).
    public var number: String?
    public var status: Status
    public var currency: String
    public var periodStart: Int64
    public var periodEnd: Int64
    public var lines: [InvoiceLine]
    public var subtotal: Money
    public var discountTotal: Money
    public var taxTotal: Money
    public var total: Money
    /// Sum of credit notes issued against it (positive).
    public var credited: Money
    public var createdAt: Int64
    public var finalizedAt: Int64?
    /// Payment due (finalization plus the payment terms).
    public var dueAt: Int64?
    public var paidAt: Int64?
    public var voidedAt: Int64?
    /// The customer as on the account: name, e-mail, tax region.
    public var customerName: String?
    public var customerEmail: String?
    public var region: String?

    public init(id: Int64, tenant: String, number: String?, status: Status, currency: String, periodStart: Int64, periodEnd: Int64,
                lines: [InvoiceLine], subtotal: Money, discountTotal: Money, taxTotal: Money, total: Money, credited: Money = .zero,
                createdAt: Int64, finalizedAt: Int64? = nil, dueAt: Int64? = nil, paidAt: Int64? = nil, voidedAt: Int64? = nil,
                customerName: String? = nil, customerEmail: String? = nil, region: String? = nil) {
        self.id = id
        self.tenant = tenant
        self.number = number
        self.status = status
        self.currency = currency
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.lines = lines
        self.subtotal = subtotal
        self.discountTotal = discountTotal
        self.taxTotal = taxTotal
        self.total = total
        self.credited = credited
        self.createdAt = createdAt
        self.finalizedAt = finalizedAt
        self.dueAt = dueAt
        self.paidAt = paidAt
        self.voidedAt = voidedAt
        self.customerName = customerName
        self.customerEmail = customerEmail
        self.region = region
    }
}

/// A credit note against a finalized (or paid) invoice: `ACME-CN-000003`.
public struct CreditNote: Sendable, Hashable {
    public var id: Int64
    public var tenant: String
    public var number: String
    public var invoiceID: Int64
    public var invoiceNumber: String
    /// Positive: the amount credited to the customer.
    public var amount: Money
    public var reason: String
    public var createdAt: Int64

    public init(id: Int64, tenant: String, number: String, invoiceID: Int64, invoiceNumber: String, amount: Money, reason: String,
                createdAt: Int64) {
        self.id = id
        self.tenant = tenant
        self.number = number
        self.invoiceID = invoiceID
        self.invoiceNumber = invoiceNumber
        self.amount = amount
        self.reason = reason
        self.createdAt = createdAt
    }
}
