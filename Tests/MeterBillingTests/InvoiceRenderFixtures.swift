import MeterBilling
import MeterCore
import MeterPlans

/// Invoices for the rendering tests, computed by `InvoiceCalculator.draft` from real inputs
/// (amounts hand-checked in the comments), then given the stored fields a finalized invoice has.
enum InvoiceRenderFixtures {
    static func money(_ text: String) -> Money { Money(text)! }
    static func quantity(_ text: String) -> Quantity { Quantity(text)! }

    static func catalog(currency: String, monthly: String, annual: String, aiOverage: String) -> PlanCatalog {
        PlanCatalog(currency: currency, plans: [
            Plan(id: "starter", name: "Starter", pricing: .list(monthly: money(monthly), annual: money(annual)), metrics: [
                "ai_interactions": MetricTerms(included: .limited(quantity("1000")), overagePrice: money(aiOverage)),
                "sms_messages": MetricTerms(included: .limited(quantity("500")), overagePrice: money("0.02")),
            ]),
        ])
    }

    static let march = utc(2026, 3, 1)

    /// The rollup rows the March usage of `metric` was read from: 720 hour rows.
    static func usage(_ metric: String, _ used: String) -> MeteredUsage {
        MeteredUsage(metric: metric, used: QuantitySum(quantity(used)), sources: [
            UsageSource(grain: .hour, metric: metric, type: .counter, fromBucket: march, toBucket: utc(2026, 4, 1), rows: 720,
                        quantity: QuantitySum(quantity(used))),
        ])
    }

    /// March 2026 on starter (USD), 1250 AI interactions (250 over at 0.05), a 10 % coupon and
    /// 7.25 % sales tax:
    /// fee 299.00 + overage 12.50 = subtotal 311.50; discount 31.15 leaves 280.35;
    /// tax 280.35 x 7.25 % = 20.325375 -> 20.33; total 300.68. Without coupon and tax: 311.50.
    static func marchDraft(currency: String = "USD", monthly: String = "299", aiOverage: String = "0.05",
                           aiUsed: String = "1250", couponAndTax: Bool = true) -> InvoiceDraft {
        let row = SubscriptionRow(id: 7, subscription: Subscription(tenant: "acme", planID: "starter", billingAnchor: march, seats: 1,
                                                                    startedAt: march))
        return InvoiceCalculator.draft(InvoiceInput(
            tenant: "acme", currency: currency, period: .period(index: 0, anchor: march), rows: [row],
            catalog: catalog(currency: currency, monthly: monthly, annual: "2990", aiOverage: aiOverage),
            usage: ["ai_interactions": usage("ai_interactions", aiUsed)],
            discounts: couponAndTax ? [Discount(code: "SAVE10", kind: .percent(quantity("10")))] : [],
            taxRate: couponAndTax ? TaxRate(region: "US-CA", name: "Sales tax", percent: quantity("7.25")) : nil))
    }

    /// August 2026 for 1000 seats: the annual plan (2,990,000.00 charged for the year from
    /// March 1) ends on August 15 and a monthly one starts. Credit for Aug 15 to Mar 1, 2027:
    /// 198 of 365 days, 2,990,000 x 198 / 365 = 1,621,972.6027... -> -1,621,972.60; the monthly
    /// fee for Aug 15 to Sep 1: 299,000 x 17 / 31 = 163,967.7419... -> 163,967.74;
    /// total -1,458,004.86.
    static func annualCreditDraft() -> InvoiceDraft {
        let change = utc(2026, 8, 15)
        let annual = SubscriptionRow(id: 1, subscription: Subscription(tenant: "acme", planID: "starter", billingAnchor: march, seats: 1000,
                                                                       startedAt: march, endedAt: change, cycle: .annual))
        let monthly = SubscriptionRow(id: 2, subscription: Subscription(tenant: "acme", planID: "starter", billingAnchor: march, seats: 1000,
                                                                        startedAt: change))
        return InvoiceCalculator.draft(InvoiceInput(
            tenant: "acme", currency: "USD", period: .period(index: 5, anchor: march), rows: [annual, monthly],
            catalog: catalog(currency: "USD", monthly: "299", annual: "2990", aiOverage: "0.05"),
            charged: [ChargedFee(subscriptionID: 1, from: march, to: utc(2027, 3, 1), amount: money("2990000"))]))
    }

    /// The draft as stored: a number and dates once finalized, the customer's fields.
    static func invoice(_ draft: InvoiceDraft, status: Invoice.Status = .finalized, number: String? = "ACME-000042",
                        customerName: String? = "Acme Health", customerEmail: String? = "billing@acme.test",
                        credited: Money = .zero) -> Invoice {
        let issued = draft.periodEnd + 300
        return Invoice(id: 42, tenant: draft.tenant, number: status == .draft ? nil : number, status: status, currency: draft.currency,
                       periodStart: draft.periodStart, periodEnd: draft.periodEnd, lines: draft.lines, subtotal: draft.subtotal,
                       discountTotal: draft.discountTotal, taxTotal: draft.taxTotal, total: draft.total, credited: credited,
                       createdAt: issued - 60, finalizedAt: status == .draft ? nil : issued,
                       dueAt: status == .draft ? nil : issued + 14 * 86_400,
                       paidAt: status == .paid ? issued + 86_400 : nil, voidedAt: status == .void ? issued + 3_600 : nil,
                       customerName: customerName, customerEmail: customerEmail, region: "US-CA")
    }

    static func creditNote(amount: String, reason: String = "Service credit: outage on 2026-03-12") -> CreditNote {
        CreditNote(id: 3, tenant: "acme", number: "ACME-CN-000003", invoiceID: 42, invoiceNumber: "ACME-000042", amount: money(amount),
                   reason: reason, createdAt: utc(2026, 4, 3, 10))
    }
}
