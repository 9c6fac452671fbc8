import MeterBilling
import MeterCore
import MeterPlans
import Testing

/// Invoices computed by hand (docs/billing.md shows the same arithmetic), checked line by line.
@Suite struct InvoiceCalculatorTests {
    static func money(_ text: String) -> Money { Money(text)! }
    static func quantity(_ text: String) -> Quantity { Quantity(text)! }

    /// Starter 299/2990, professional 799/7990 (as config/plans.yaml); sms on a tiered rate.
    static let catalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "starter", name: "Starter", pricing: .list(monthly: money("299"), annual: money("2990")), metrics: [
            "ai_interactions": MetricTerms(included: .limited(quantity("1000")), overagePrice: money("0.05")),
            "sms_messages": MetricTerms(included: .limited(quantity("500")), overage: .tiered([
                RateTier(upTo: quantity("1000"), unitPrice: money("0.02")), RateTier(upTo: nil, unitPrice: money("0.015"))])),
            "patients": MetricTerms(included: .limited(quantity("500"))),
        ]),
        Plan(id: "professional", name: "Professional", pricing: .list(monthly: money("799"), annual: money("7990")), metrics: [
            "ai_interactions": MetricTerms(included: .limited(quantity("5000")), overagePrice: money("0.04")),
        ]),
    ])

    static func row(_ id: Int64, _ plan: String, from: Int64, to: Int64? = nil, anchor: Int64, seats: Int = 1,
                    cycle: BillingCycle = .monthly, trialEnds: Int64? = nil) -> SubscriptionRow {
        SubscriptionRow(id: id, subscription: Subscription(tenant: "acme", planID: plan, billingAnchor: anchor, seats: seats,
                                                           startedAt: from, endedAt: to, cycle: cycle, trialEndsAt: trialEnds))
    }

    static func usage(_ metric: String, _ used: String) -> MeteredUsage {
        MeteredUsage(metric: metric, used: QuantitySum(quantity(used)), sources: [])
    }

    func amounts(_ draft: InvoiceDraft) -> [String] { draft.lines.map { "\($0.kind.rawValue) \($0.amount)" } }

    @Test func upgradeMidMonthProratesBothPlansToTheSecondAndPricesUsageOnTheNewPlan() {
        let anchor = utc(2026, 3, 1), change = utc(2026, 3, 15)
        let period = BillingPeriod.period(index: 0, anchor: anchor)
        let draft = InvoiceCalculator.draft(InvoiceInput(
            tenant: "acme", currency: "USD", period: period,
            rows: [Self.row(1, "starter", from: anchor, to: change, anchor: anchor), Self.row(2, "professional", from: change, anchor: anchor)],
            catalog: Self.catalog, usage: ["ai_interactions": Self.usage("ai_interactions", "5600")]))
        // March: 31 days. Starter 299 x 14/31 = 135.032258... ; professional 799 x 17/31 = 438.161290...;
        // 5600 - 5000 included on professional = 600 x 0.04 = 24.
        #expect(amounts(draft) == ["proration 135.03", "proration 438.16", "overage 24"])
        #expect(draft.subtotal == Self.money("597.19"))
        #expect(draft.total == Self.money("597.19"))
        #expect(draft.lines[0].subscriptionID == 1 && draft.lines[1].subscriptionID == 2)
        #expect(draft.lines[0].to == change && draft.lines[1].from == change)
    }

    @Test func downgradeAtPeriodEndChargesTheOldPlanWholeThenTheNewOne() {
        let anchor = utc(2026, 3, 1), periodEnd = utc(2026, 4, 1)
        let rows = [Self.row(1, "professional", from: anchor, to: periodEnd, anchor: anchor), Self.row(2, "starter", from: periodEnd, anchor: anchor)]
        let march = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 0, anchor: anchor),
                                                          rows: rows, catalog: Self.catalog))
        let april = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 1, anchor: anchor),
                                                          rows: rows, catalog: Self.catalog,
                                                          usage: ["ai_interactions": Self.usage("ai_interactions", "1200")]))
        #expect(amounts(march) == ["subscription 799"])
        // April on starter: 1200 - 1000 = 200 x 0.05 = 10.
        #expect(amounts(april) == ["subscription 299", "overage 10"])
    }

    @Test func annualPlanIsChargedOnceAYearAndAMidYearUpgradeCreditsTheUnusedTime() {
        let anchor = utc(2026, 1, 15), upgrade = utc(2026, 7, 15)
        var rows = [Self.row(1, "starter", from: anchor, anchor: anchor, cycle: .annual)]
        let first = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 0, anchor: anchor),
                                                          rows: rows, catalog: Self.catalog))
        #expect(amounts(first) == ["subscription 2990"])
        let charged = [ChargedFee(subscriptionID: 1, from: anchor, to: utc(2027, 1, 15), amount: Self.money("2990"))]
        let second = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 1, anchor: anchor),
                                                           rows: rows, catalog: Self.catalog, charged: charged))
        #expect(second.lines.isEmpty)
        rows = [Self.row(1, "starter", from: anchor, to: upgrade, anchor: anchor, cycle: .annual),
                Self.row(2, "professional", from: upgrade, anchor: anchor, cycle: .annual)]
        let july = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 6, anchor: anchor),
                                                         rows: rows, catalog: Self.catalog, charged: charged))
        // The year has 365 days; 184 of them remain on Jul 15. Credit 2990 x 184/365 = 1507.287671...,
        // charge 7990 x 184/365 = 4027.835616...
        #expect(amounts(july) == ["proration -1507.29", "proration 4027.84"])
        #expect(july.total == Self.money("2520.55"))
        #expect(july.lines[0].from == upgrade && july.lines[0].to == utc(2027, 1, 15) && july.lines[0].subscriptionID == 1)
    }

    @Test func trialConvertingChargesFromTheTrialsEndAndBillsOnlyLaterUsage() {
        let start = utc(2026, 3, 1), trialEnd = utc(2026, 3, 15)
        let rows = [Self.row(1, "starter", from: start, anchor: start, trialEnds: trialEnd)]
        let period = BillingPeriod.period(index: 0, anchor: start)
        let window = BillableWindow.of(period: period, rows: rows)
        #expect(window?.from == trialEnd && window?.to == utc(2026, 4, 1))
        let draft = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: period, rows: rows, catalog: Self.catalog,
                                                         usage: ["ai_interactions": Self.usage("ai_interactions", "1001")]))
        // 299 x 17/31 = 163.967741...; 1 unit over at 0.05.
        #expect(amounts(draft) == ["proration 163.97", "overage 0.05"])
        // A trial that covers the whole period costs nothing.
        let inTrial = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: period,
                                                           rows: [Self.row(1, "starter", from: start, anchor: start, trialEnds: utc(2026, 4, 1))],
                                                           catalog: Self.catalog))
        #expect(inTrial.lines.isEmpty && inTrial.total == .zero)
    }

    @Test func tieredOverageAtTheTierEdge() {
        let anchor = utc(2026, 3, 1)
        func sms(_ used: String) -> InvoiceDraft {
            InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 0, anchor: anchor),
                                                 rows: [Self.row(1, "starter", from: anchor, anchor: anchor)], catalog: Self.catalog,
                                                 usage: ["sms_messages": Self.usage("sms_messages", used)]))
        }
        // 500 included: 1500 used = 1000 over, all in the first tier: 1000 x 0.02 = 20.
        #expect(amounts(sms("1500")) == ["subscription 299", "overage 20"])
        // 1501 used: 1000 x 0.02 + 1 x 0.015 = 20.015 -> 20.02 (half away from zero).
        #expect(amounts(sms("1501")) == ["subscription 299", "overage 20.02"])
        #expect(amounts(sms("500")) == ["subscription 299"])
        #expect(sms("500").billedUsage.map(\.metric) == ["ai_interactions", "sms_messages"])
    }

    @Test func couponThenTaxEachRoundedOnce() {
        let anchor = utc(2026, 3, 1)
        let draft = InvoiceCalculator.draft(InvoiceInput(
            tenant: "acme", currency: "USD", period: .period(index: 0, anchor: anchor),
            rows: [Self.row(1, "starter", from: anchor, anchor: anchor)], catalog: Self.catalog,
            usage: ["ai_interactions": Self.usage("ai_interactions", "1333")],
            discounts: [Discount(code: "SPRING15", kind: .percent(Self.quantity("15")))],
            taxRate: TaxRate(region: "US-CA", name: "Sales tax", percent: Self.quantity("7.25"))))
        // 299 + 333 x 0.05 = 315.65; 15 % = 47.3475 -> 47.35; 268.30 x 7.25 % = 19.451750 -> 19.45.
        #expect(amounts(draft) == ["subscription 299", "overage 16.65", "discount -47.35", "tax 19.45"])
        #expect(draft.subtotal == Self.money("315.65"))
        #expect(draft.discountTotal == Money(micros: -47_350_000))
        #expect(draft.taxTotal == Self.money("19.45"))
        #expect(draft.total == Self.money("287.75"))
    }

    @Test func anAmountCouponNeverTakesTheSubtotalBelowZero() {
        let anchor = utc(2026, 3, 1)
        let draft = InvoiceCalculator.draft(InvoiceInput(
            tenant: "acme", currency: "USD", period: .period(index: 0, anchor: anchor),
            rows: [Self.row(1, "starter", from: anchor, anchor: anchor)], catalog: Self.catalog,
            discounts: [Discount(code: "BIG", kind: .amount(Self.money("250"))), Discount(code: "MORE", kind: .amount(Self.money("100")))]))
        #expect(amounts(draft) == ["subscription 299", "discount -250", "discount -49"])
        #expect(draft.total == .zero)
    }

    @Test func lateUsageIsBilledAsTheDifferenceInChargeAtTheOriginalRate() {
        let anchor = utc(2026, 3, 1)
        let billed = BilledUsage(metric: "ai_interactions", periodStart: anchor, periodEnd: utc(2026, 4, 1), windowFrom: anchor,
                                 windowTo: utc(2026, 4, 1), used: QuantitySum(Self.quantity("1100")), included: Self.quantity("1000"),
                                 planID: "starter", rate: OverageRate.perUnit(Self.money("0.05")).code)
        let draft = InvoiceCalculator.draft(InvoiceInput(
            tenant: "acme", currency: "USD", period: .period(index: 1, anchor: anchor),
            rows: [Self.row(1, "starter", from: anchor, anchor: anchor)], catalog: Self.catalog,
            lateChecks: [.init(billed: billed, current: Self.usage("ai_interactions", "1150"))]))
        // 150 over now, 100 billed: 50 x 0.05 = 2.50.
        #expect(amounts(draft) == ["subscription 299", "adjustment 2.5"])
        #expect(draft.billedUsage.last?.used == QuantitySum(Self.quantity("1150")))
        #expect(draft.billedUsage.last?.periodStart == anchor)
        // Late usage that stays within the included quantity changes no amount but is recorded.
        var within = billed
        within.used = QuantitySum(Self.quantity("900"))
        let quiet = LateUsageLines.compute([.init(billed: within, current: Self.usage("ai_interactions", "950"))], decimals: 2)
        #expect(quiet.lines.isEmpty && quiet.billed.count == 1)
    }

    @Test func rateCodesRoundTrip() {
        let rates: [OverageRate] = [
            .perUnit(Self.money("0.016")),
            .tiered([RateTier(upTo: Self.quantity("1000"), unitPrice: Self.money("0.02")), RateTier(upTo: nil, unitPrice: Self.money("0.01"))]),
            .volume([RateTier(upTo: Self.quantity("100.5"), unitPrice: Self.money("0.25")), RateTier(upTo: nil, unitPrice: Self.money("0.2"))]),
            .package(size: Self.quantity("1000"), price: Self.money("1")),
        ]
        for rate in rates { #expect(OverageRate(code: rate.code) == rate) }
        #expect(OverageRate(code: "tiered:5@0.1") == nil)
        #expect(OverageRate(code: "bogus") == nil)
    }

    @Test func prorationFormulaRoundsOnceHalfAwayFromZero() {
        // 10 x 1 x 1/4 = 2.5 at 0 decimals -> 3; 0.01 x 1/2 = 0.005 -> 0.01.
        #expect(FeeSchedule.prorated(price: Self.money("10"), seats: 1, seconds: 1, periodSeconds: 4, decimals: 0) == Self.money("3"))
        #expect(FeeSchedule.prorated(price: Self.money("0.01"), seats: 1, seconds: 1, periodSeconds: 2, decimals: 2) == Self.money("0.01"))
        // 3 seats x 299 x 86400/2678400 (one day of March) = 28.935483... -> 28.94.
        #expect(FeeSchedule.prorated(price: Self.money("299"), seats: 3, seconds: 86_400, periodSeconds: 2_678_400, decimals: 2)
                == Self.money("28.94"))
    }

    @Test func anAnnualCancelAtAPeriodEndCreditsTheRestOfTheYearOnThatPeriodsInvoice() {
        let anchor = utc(2026, 1, 15), end = utc(2026, 7, 15)
        let rows = [Self.row(1, "starter", from: anchor, to: end, anchor: anchor, cycle: .annual)]
        let charged = [ChargedFee(subscriptionID: 1, from: anchor, to: utc(2027, 1, 15), amount: Self.money("2990"))]
        let june = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 5, anchor: anchor),
                                                         rows: rows, catalog: Self.catalog, charged: charged))
        // Nothing follows the row: its end at June's period end is June's to settle (184/365 of 2990).
        #expect(amounts(june) == ["proration -1507.29"])
        // Followed by a new row at that instant instead, the credit waits for the new row's period.
        let upgraded = rows + [Self.row(2, "professional", from: end, anchor: anchor, cycle: .annual)]
        let juneAgain = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 5, anchor: anchor),
                                                              rows: upgraded, catalog: Self.catalog, charged: charged))
        #expect(juneAgain.lines.isEmpty)
    }

    @Test func anAnnualTrialLongerThanAPeriodChargesOnTheInvoiceOfItsEnd() {
        let start = utc(2026, 1, 1), trialEnd = utc(2026, 2, 15)
        let rows = [Self.row(1, "starter", from: start, anchor: start, cycle: .annual, trialEnds: trialEnd)]
        let january = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 0, anchor: start),
                                                            rows: rows, catalog: Self.catalog))
        #expect(january.lines.isEmpty)
        let february = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: .period(index: 1, anchor: start),
                                                             rows: rows, catalog: Self.catalog))
        // 2990 x 320/365 (February 15 to January 1) = 2621.369... -> 2621.37.
        #expect(amounts(february) == ["proration 2621.37"])
    }

    @Test func aStubBeforeALaterAnchorIsProratedOnItsOwnInvoice() throws {
        // Started March 10, anchored on the 1st of April: the stub March 10 to April 1 is 22 of
        // the 31 days of the period before the anchor (March 1 to April 1).
        let start = utc(2026, 3, 10), anchor = utc(2026, 4, 1)
        let rows = [Self.row(1, "starter", from: start, anchor: anchor)]
        let stub = try #require(BillingSchedule.nextPeriod(rows: rows, after: nil))
        #expect(stub.start == start && stub.end == anchor)
        let draft = InvoiceCalculator.draft(InvoiceInput(tenant: "acme", currency: "USD", period: stub, rows: rows, catalog: Self.catalog))
        // 299 x 22/31 = 212.193... -> 212.19.
        #expect(amounts(draft) == ["proration 212.19"])
        #expect(BillingSchedule.nextPeriod(rows: rows, after: stub.end)?.end == utc(2026, 5, 1))
        #expect(FeeSchedule.feePeriod(containing: start, anchor: anchor, cycle: .annual).start == utc(2025, 4, 1))
    }
}
