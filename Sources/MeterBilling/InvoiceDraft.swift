import MeterCore
public import MeterPlans

/// An invoice as computed, before it is stored: lines and totals (docs/billing.md "Invoices").
public struct InvoiceDraft: Sendable, Hashable {
    public var tenant: String
    public var currency: String
    /// The billing period it bills: `[periodStart, periodEnd)`.
    public var periodStart: Int64
    public var periodEnd: Int64
    public var lines: [InvoiceLine]
    /// The usage figures billed (overage and adjustments), for later late-usage checks.
    public var billedUsage: [BilledUsage]
    /// Sum of the fee, proration, overage and adjustment lines.
    public var subtotal: Money
    /// Sum of the discount lines (zero or negative).
    public var discountTotal: Money
    public var taxTotal: Money
    public var total: Money
}

/// Everything one invoice is computed from, read from PostgreSQL in one snapshot.
public struct InvoiceInput: Sendable {
    public var tenant: String
    public var currency: String
    public var period: BillingPeriod
    /// The tenant's subscription rows overlapping the period or a fee period touching it.
    public var rows: [SubscriptionRow]
    public var catalog: PlanCatalog
    /// Fee lines of finalized invoices for fee periods touching this period (annual fees).
    public var charged: [ChargedFee]
    /// Usage by metric in `BillableWindow.of(period:rows:)`.
    public var usage: [String: MeteredUsage]
    /// Usage by metric in the window's part before `recheckFrom` (settled when invoiced; the
    /// rest is read again for late usage by the next period's run). Nil `recheckFrom`: nothing
    /// is read again.
    public var settled: [String: MeteredUsage]
    public var recheckFrom: Int64?
    public var lateChecks: [LateUsageLines.Check]
    public var discounts: [Discount]
    public var taxRate: TaxRate?

    public init(tenant: String, currency: String, period: BillingPeriod, rows: [SubscriptionRow], catalog: PlanCatalog,
                charged: [ChargedFee] = [], usage: [String: MeteredUsage] = [:], settled: [String: MeteredUsage] = [:],
                recheckFrom: Int64? = nil, lateChecks: [LateUsageLines.Check] = [], discounts: [Discount] = [], taxRate: TaxRate? = nil) {
        self.tenant = tenant
        self.currency = currency
        self.period = period
        self.rows = rows
        self.catalog = catalog
        self.charged = charged
        self.usage = usage
        self.settled = settled
        self.recheckFrom = recheckFrom
        self.lateChecks = lateChecks
        self.discounts = discounts
        self.taxRate = taxRate
    }
}

/// Which rollup hours a period's usage is read from: the usage window of the period
/// (`UsageWindow`: both ends moved down to the hour), starting no earlier than the trial's end
/// and ending no later than the last subscription row's end, each moved down to its hour too.
public enum BillableWindow {
    public static func of(period: BillingPeriod, rows: [SubscriptionRow]) -> (from: Int64, to: Int64)? {
        let overlapping = rows.filter { $0.overlaps(period) }
        guard let last = overlapping.max(by: SubscriptionRow.chronologically) else { return nil }
        let trialEnd = overlapping.compactMap(\.subscription.trialEndsAt).max() ?? .min
        let from = UsageWindow.hourFloor(max(period.start, trialEnd))
        let to = UsageWindow.hourFloor(min(period.end, last.subscription.endedAt ?? .max))
        return to > from ? (from, to) : nil
    }

    /// The row whose plan's terms price the period's usage: the last one overlapping it.
    public static func pricingRow(period: BillingPeriod, rows: [SubscriptionRow]) -> SubscriptionRow? {
        rows.filter { $0.overlaps(period) }.max(by: SubscriptionRow.chronologically)
    }
}

/// Computes an invoice from its input: pure, so every formula is tested without a database.
public enum InvoiceCalculator {
    public static func draft(_ input: InvoiceInput) -> InvoiceDraft {
        let decimals = CurrencyUnits.decimals(input.currency)
        var lines = FeeLines.lines(period: input.period, rows: input.rows, catalog: input.catalog, charged: input.charged,
                                   decimals: decimals)
        var billed: [BilledUsage] = []
        if let row = BillableWindow.pricingRow(period: input.period, rows: input.rows), let plan = input.catalog[row.subscription.planID],
           let window = BillableWindow.of(period: input.period, rows: input.rows) {
            let overage = OverageLines.compute(plan: plan, period: input.period, windowFrom: window.from, windowTo: window.to,
                                               usage: input.usage, settled: input.settled,
                                               recheckFrom: min(max(input.recheckFrom ?? window.to, window.from), window.to),
                                               decimals: decimals)
            lines += overage.lines
            billed += overage.billed
        }
        let late = LateUsageLines.compute(input.lateChecks, decimals: decimals)
        lines += late.lines
        billed += late.billed

        let subtotal = Money(micros: lines.reduce(0) { $0 + $1.amount.micros })
        var remaining = subtotal
        var discountTotal: Int64 = 0
        for discount in input.discounts {
            let off = discount.amount(on: remaining, decimals: decimals)
            guard off.micros > 0 else { continue }
            let text: String = switch discount.kind {
            case .percent(let percent): "Discount \(discount.code): \(percent) % off \(remaining)"
            case .amount(let amount): "Discount \(discount.code): \(amount) off"
            }
            lines.append(InvoiceLine(kind: .discount, description: text, amount: Money(micros: -off.micros), couponCode: discount.code))
            remaining = Money(micros: remaining.micros - off.micros)
            discountTotal -= off.micros
        }
        var taxTotal = Money.zero
        if let rate = input.taxRate {
            taxTotal = rate.amount(on: remaining, decimals: decimals)
            lines.append(InvoiceLine(kind: .tax, description: "\(rate.name) \(rate.region) \(rate.percent) % of \(remaining)",
                                     quantity: rate.percent, amount: taxTotal))
        }
        return InvoiceDraft(tenant: input.tenant, currency: input.currency, periodStart: input.period.start, periodEnd: input.period.end,
                            lines: lines, billedUsage: billed, subtotal: subtotal, discountTotal: Money(micros: discountTotal),
                            taxTotal: taxTotal, total: Money(micros: remaining.micros + taxTotal.micros))
    }
}
