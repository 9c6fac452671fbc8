import MeterBilling
import MeterCore
import MeterPlans
import MeterPostgres
import Testing

/// Billing runs against the real PostgreSQL, on rollups written by meterd's own engine and
/// rollup writer (docs/billing.md "Billing runs"). Amounts are computed by hand in comments.
@Suite(.enabled(if: SubscriptionTestDatabase.isConfigured, SubscriptionTestDatabase.skipMessage))
struct BillingRunTests {
    static let catalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "starter", name: "Starter", pricing: .list(monthly: Money("299")!, annual: Money("2990")!), metrics: [
            "ai_interactions": MetricTerms(included: .limited(Quantity("1000")!), overagePrice: Money("0.05")!),
            "patients": MetricTerms(included: .limited(Quantity("500")!), overagePrice: Money("1")!),
            "sms_messages": MetricTerms(included: .limited(Quantity("500")!), overage: .tiered([
                RateTier(upTo: Quantity("1000")!, unitPrice: Money("0.02")!), RateTier(upTo: nil, unitPrice: Money("0.015")!)])),
        ]),
        Plan(id: "professional", name: "Professional", pricing: .list(monthly: Money("799")!, annual: Money("7990")!), metrics: [
            "ai_interactions": MetricTerms(included: .limited(Quantity("5000")!), overagePrice: Money("0.04")!),
        ]),
    ])

    /// A database with the catalog above and the tax rates of config/tax-rates.yaml's shape.
    func withBilling(_ body: (PostgresConnection) throws -> Void) throws {
        try SubscriptionTestDatabase.withStore { connection in
            try PlanStore(connection: connection).seed(Self.catalog)
            try BillingSettingsStore(connection: connection).replaceTaxRates([
                TaxRate(region: "US-CA", name: "Sales tax", percent: Quantity("7.25")!),
                TaxRate(region: "DE", name: "VAT", percent: Quantity("19")!),
            ])
            try body(connection)
        }
    }

    /// Ingests `lines` (each with its `|T` time) through meterd's engine and writes the rollups
    /// with its rollup writer, as a flush does.
    static func write(_ lines: [String], on connection: PostgresConnection) throws {
        let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: 9))
        let worker = engine.makeWorker(policy: .drop)
        var latest: Int64 = 0
        for line in lines {
            let time = Int64(line.split(separator: "|").last { $0.hasPrefix("T") }!.dropFirst())!
            latest = max(latest, time)
            let refusal = line.utf8CString.dropLast().withUnsafeBytes { worker.ingest(line: $0, now: time + 60) }
            precondition(refusal == nil, "test line refused: \(line)")
        }
        worker.publish()
        var deltas: [RollupDelta] = []
        engine.drainAndCollectDeltas(now: latest + 120, into: &deltas)
        try RollupWriter(connection: connection).write(deltas, checkpoint: (instance: "billing-test", position: latest))
    }

    static func run(_ connection: PostgresConnection, at: Int64, draft: Bool = false) throws -> BillingRun.Report {
        var options = BillingRun.Options(at: at)
        options.draftOnly = draft
        return try BillingRun(connection: connection).run(options)
    }

    @Test func aRunBillsEachEndedPeriodOnceWithTaxAndTracesUsageToTheRollups() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            // Anchored at 09:30: the usage window is the hours from March 1 09:00 to April 1 09:00,
            // read as hourly rows at both edges and daily rows between.
            try store.create(tenant: "acme", plan: "starter", at: utc(2026, 3, 1, 9, 30), region: "US-CA", prefix: "ACME")
            // 1250 ai_interactions in the window; 5 before it and 40 after it (April's period).
            try Self.write([
                "ai_interactions:5|c|#tenant:acme|T\(utc(2026, 3, 1, 8, 30))",
                "ai_interactions:300|c|#tenant:acme|T\(utc(2026, 3, 1, 9, 40))",
                "ai_interactions:600|c|#tenant:acme|T\(utc(2026, 3, 14, 12))",
                "ai_interactions:350|c|#tenant:acme|T\(utc(2026, 4, 1, 8, 59))",
                "ai_interactions:40|c|#tenant:acme|T\(utc(2026, 4, 1, 9, 5))",
                "patients:420|g|#tenant:acme|T\(utc(2026, 3, 10))",
                "patients:510|g|#tenant:acme|T\(utc(2026, 3, 20))",
            ], on: connection)

            // Not due before the grace after the period's end (April 1 09:30 + 1 h).
            #expect(try Self.run(connection, at: utc(2026, 4, 1, 10, 29)).invoices.isEmpty)
            let report = try Self.run(connection, at: utc(2026, 4, 2))
            try #require(report.invoices.count == 1 && report.failures.isEmpty)
            #expect(report.invoices[0].number == "ACME-000001")

            let invoice = try InvoiceStore(connection: connection).invoice("ACME-000001")
            // 299; 250 x 0.05 = 12.50; patients peak 510 - 500 = 10 x 1 = 10; tax 7.25 % of
            // 321.50 = 23.30875 -> 23.31; total 344.81.
            #expect(invoice.lines.map { "\($0.kind.rawValue) \($0.amount)" }
                    == ["subscription 299", "overage 12.5", "overage 10", "tax 23.31"])
            #expect(invoice.total == Money("344.81")! && invoice.status == .finalized && invoice.region == "US-CA")
            #expect(invoice.dueAt == utc(2026, 5, 2))

            // Each usage line names the rollup rows it summed; they add up to its usage.
            let overage = try #require(invoice.lines.first { $0.metric == "ai_interactions" })
            #expect(Set(overage.sources.map(\.grain)) == [.hour, .day])
            #expect(overage.sources.reduce(QuantitySum.zero) { var sum = $0; sum.add($1.quantity); return sum } == QuantitySum(Quantity("1250")!))
            for source in overage.sources {
                let again = try connection.execute("""
                    SELECT count(*), sum(sum) FROM \(RollupTable.name(source.grain))
                    WHERE tenant = 'acme' AND metric = $1 AND type = 'c' AND bucket >= to_timestamp($2::bigint) AND bucket < to_timestamp($3::bigint)
                    """, parameters: [source.metric, String(source.fromBucket), String(source.toBucket)])
                #expect(again.rows.first?[0] == String(source.rows))
                #expect(again.rows.first?[1].flatMap(QuantitySum.init(decimal:)) == source.quantity)
            }

            // Idempotent: a second run creates nothing.
            let again = try Self.run(connection, at: utc(2026, 4, 2, 6))
            #expect(again.invoices.isEmpty && again.tenantsUpToDate == 1)
            #expect(try InvoiceStore(connection: connection).list(tenant: "acme").count == 1)
        }
    }

    @Test func lateUsageAfterFinalizationIsAnAdjustmentOnTheNextInvoice() throws {
        try withBilling { connection in
            try SubscriptionStore(connection: connection).create(tenant: "late", plan: "starter", at: utc(2026, 3, 1), prefix: "LATE")
            try Self.write(["ai_interactions:1100|c|#tenant:late|T\(utc(2026, 3, 15))"], on: connection)
            _ = try Self.run(connection, at: utc(2026, 4, 2))
            let march = try InvoiceStore(connection: connection).invoice("LATE-000001")
            #expect(march.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 299", "overage 5"])

            // 50 more March events land after March was finalized.
            try Self.write(["ai_interactions:50|c|#tenant:late|T\(utc(2026, 3, 31, 22))"], on: connection)
            _ = try Self.run(connection, at: utc(2026, 5, 2))
            let april = try InvoiceStore(connection: connection).invoice("LATE-000002")
            // 50 x 0.05 = 2.50 for March, on April's invoice; March's invoice is untouched.
            #expect(april.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 299", "adjustment 2.5"])
            #expect(april.lines[1].from == utc(2026, 3, 1) && april.lines[1].sources.count == 1)
            #expect(try InvoiceStore(connection: connection).invoice("LATE-000001") == march)
            // Billed once: the next run adds no second adjustment.
            _ = try Self.run(connection, at: utc(2026, 6, 2))
            let may = try InvoiceStore(connection: connection).invoice("LATE-000003")
            #expect(may.lines.map(\.kind) == [.subscription])
        }
    }

    @Test func upgradeMidMonthAndAnnualPlanThroughTheSubscriptionStore() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "grow", plan: "starter", at: utc(2026, 3, 1), prefix: "GROW")
            try store.change(tenant: "grow", plan: "professional", at: utc(2026, 3, 15))
            try store.create(tenant: "year", plan: "starter", cycle: .annual, at: utc(2026, 1, 15), prefix: "YEAR")
            try Self.write(["ai_interactions:5600|c|#tenant:grow|T\(utc(2026, 3, 20))"], on: connection)
            _ = try Self.run(connection, at: utc(2026, 4, 2))
            let grow = try InvoiceStore(connection: connection).invoice("GROW-000001")
            // 299 x 14/31 = 135.03; 799 x 17/31 = 438.16; 600 x 0.04 = 24.
            #expect(grow.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["proration 135.03", "proration 438.16", "overage 24"])
            #expect(grow.total == Money("597.19")!)
            // The annual tenant: January 15 to March 15 billed, 2990 once, then nothing.
            let year = try InvoiceStore(connection: connection).list(tenant: "year").sorted { $0.periodStart < $1.periodStart }
            #expect(year.map(\.total) == [Money("2990")!, .zero])
            #expect(year.map(\.number) == ["YEAR-000001", "YEAR-000002"])
        }
    }

    @Test func numbersAreGapFreePerPrefixAndFinalizedInvoicesAreFrozen() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "one", plan: "starter", at: utc(2026, 1, 1), prefix: "ONE")
            try store.create(tenant: "two", plan: "starter", at: utc(2026, 1, 1), prefix: "TWO")
            // Drafts first: no numbers; a second draft run replaces them.
            #expect(try Self.run(connection, at: utc(2026, 2, 2), draft: true).invoices.allSatisfy { $0.number == nil })
            #expect(try Self.run(connection, at: utc(2026, 2, 2), draft: true).invoices.count == 2)
            let drafts = try InvoiceStore(connection: connection).list(status: .draft)
            #expect(drafts.count == 2)
            // The replaced drafts took their lines and billed usage with them.
            #expect(try connection.execute("SELECT count(*) FROM meterd.invoice_lines").rows.first?[0] == "2")
            #expect(try connection.execute("SELECT count(DISTINCT invoice_id) FROM meterd.invoice_usage").rows.first?[0] == "2")
            #expect(refusal { try connection.execute("""
                INSERT INTO meterd.invoice_lines (invoice_id, line_no, kind, description, amount) VALUES (999999, 1, 'adjustment', 'x', 1)
                """) }?.contains("invoice 999999 does not exist") == true)
            #expect(refusal { try connection.execute("""
                INSERT INTO meterd.invoice_usage (invoice_id, tenant, metric, period_start, period_end, window_from, window_to, used, included,
                                                  plan_id, rate, recheck_from, settled, kind)
                VALUES (999999, 't', 'm', now(), now(), now(), now(), 1, 1, 'p', 'unit:1', now(), 0, 'c')
                """) }?.contains("invoice 999999 does not exist") == true)
            // One draft finalized by hand takes ONE's first number; the run numbers the rest after it.
            let one = try #require(drafts.first { $0.tenant == "one" })
            let finalized = try InvoiceStore(connection: connection).finalize(String(one.id), at: utc(2026, 2, 3))
            #expect(finalized.number == "ONE-000001" && finalized.status == .finalized && finalized.dueAt == utc(2026, 3, 5))
            let report = try Self.run(connection, at: utc(2026, 4, 2))
            #expect(report.invoices.compactMap(\.number).sorted()
                    == ["ONE-000002", "ONE-000003", "TWO-000001", "TWO-000002", "TWO-000003"])
            let invoices = InvoiceStore(connection: connection)
            _ = try invoices.void("ONE-000002", reason: "issued in error", at: utc(2026, 4, 3))
            _ = try Self.run(connection, at: utc(2026, 5, 2))
            // The void number stays taken; the next one follows it.
            #expect(try invoices.list(tenant: "one").compactMap(\.number).sorted() == ["ONE-000001", "ONE-000002", "ONE-000003", "ONE-000004"])
            #expect(try invoices.invoice("ONE-000002").status == .void)

            // A finalized invoice cannot change: neither its lines nor its amounts.
            let first = try invoices.invoice("ONE-000001")
            #expect(refusal { try connection.execute("UPDATE meterd.invoice_lines SET amount = 1 WHERE invoice_id = $1::bigint", parameters: [String(first.id)]) }?
                .contains("cannot change") == true)
            #expect(refusal { try connection.execute("UPDATE meterd.invoices SET total = 1 WHERE id = $1::bigint", parameters: [String(first.id)]) } != nil)
            #expect(refusal { try connection.execute("DELETE FROM meterd.invoices WHERE id = $1::bigint", parameters: [String(first.id)]) } != nil)
            #expect(refusal { try connection.execute("""
                INSERT INTO meterd.invoice_lines (invoice_id, line_no, kind, description, amount) VALUES ($1::bigint, 99, 'adjustment', 'x', 1)
                """, parameters: [String(first.id)]) }?.contains("cannot change") == true)
            #expect(throws: InvoiceStore.StoreError.self) { try invoices.void("ONE-000002", reason: "again", at: utc(2026, 5, 3)) }
        }
    }

    @Test func creditNotesPaymentAndPastDue() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "pay", plan: "starter", at: utc(2026, 1, 1), prefix: "PAY")
            _ = try Self.run(connection, at: utc(2026, 2, 2))
            let invoices = InvoiceStore(connection: connection)
            // Due 30 days after finalization (March 4): a run after it marks the account past_due.
            _ = try Self.run(connection, at: utc(2026, 3, 5))
            #expect(try store.account(tenant: "pay")?.status == .pastDue)
            let note = try invoices.credit("PAY-000001", amount: Money("100")!, reason: "goodwill", at: utc(2026, 3, 6))
            #expect(note.number == "PAY-CN-000001" && note.amount == Money("100")!)
            #expect(throws: InvoiceStore.StoreError.self) {
                try invoices.credit("PAY-000001", amount: Money("199.01")!, reason: "too much", at: utc(2026, 3, 6))
            }
            #expect(try invoices.credit("PAY-000001", amount: Money("199")!, reason: "rest", at: utc(2026, 3, 6)).number == "PAY-CN-000002")
            // Fully credited: nothing overdue from it; paying the February invoice settles the account.
            #expect(try invoices.invoice("PAY-000001").credited == Money("299")!)
            _ = try invoices.markPaid("PAY-000002", at: utc(2026, 3, 7))
            #expect(try store.account(tenant: "pay")?.status == .active)
            #expect(try store.events(tenant: "pay").map(\.kind).suffix(2) == [.pastDue, .activated])
        }
    }

    @Test func trialConvertingWithATierEdgeACouponAndVAT() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "trial", plan: "starter", trialDays: 14, at: utc(2026, 3, 1), region: "DE", prefix: "TRIAL")
            let settings = BillingSettingsStore(connection: connection)
            try settings.createCoupon(code: "SPRING15", discount: .percent(Quantity("15")!), duration: .once)
            try settings.redeem(tenant: "trial", code: "SPRING15", at: utc(2026, 3, 1))
            try Self.write([
                "sms_messages:300|c|#tenant:trial|T\(utc(2026, 3, 5))",  // in the trial: not billed
                "sms_messages:1501|c|#tenant:trial|T\(utc(2026, 3, 20))",
                "ai_interactions:100|c|#tenant:trial|T\(utc(2026, 3, 21))",
            ], on: connection)
            _ = try Self.run(connection, at: utc(2026, 5, 2))
            let invoices = InvoiceStore(connection: connection)
            let march = try invoices.invoice("TRIAL-000001")
            // Fee from the trial's end: 299 x 17/31 = 163.967741... -> 163.97. sms: 1501 - 500 =
            // 1001 over: 1000 x 0.02 + 1 x 0.015 = 20.015 -> 20.02. Subtotal 183.99; 15 % =
            // 27.5985 -> 27.60; VAT 19 % of 156.39 = 29.7141 -> 29.71; total 186.10.
            #expect(march.lines.map { "\($0.kind.rawValue) \($0.amount)" }
                    == ["proration 163.97", "overage 20.02", "discount -27.6", "tax 29.71"])
            #expect(march.total == Money("186.1")!)
            #expect(march.lines[2].couponCode == "SPRING15")
            // The coupon was once: April pays 299 + 19 % = 355.81.
            let april = try invoices.invoice("TRIAL-000002")
            #expect(april.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 299", "tax 56.81"])
            #expect(try store.account(tenant: "trial")?.status == .active)
            #expect(try store.events(tenant: "trial").map(\.kind).prefix(2) == [.created, .activated])
        }
    }

    @Test func downgradeAtPeriodEndBillsTheOldPlanWholeThenTheNewOne() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "down", plan: "professional", at: utc(2026, 3, 1), prefix: "DOWN")
            try store.change(tenant: "down", plan: "starter", atPeriodEnd: true, at: utc(2026, 3, 10))
            try Self.write(["ai_interactions:1200|c|#tenant:down|T\(utc(2026, 3, 20))",
                            "ai_interactions:1200|c|#tenant:down|T\(utc(2026, 4, 20))"], on: connection)
            _ = try Self.run(connection, at: utc(2026, 5, 2))
            let invoices = InvoiceStore(connection: connection)
            // March on professional: 1200 is within its 5000. April on starter: 200 x 0.05 = 10.
            #expect(try invoices.invoice("DOWN-000001").lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 799"])
            #expect(try invoices.invoice("DOWN-000002").lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 299", "overage 10"])
        }
    }

    @Test func annualUpgradeMidYearCreditsTheChargedRestOfTheYearFromEarlierInvoices() throws {
        try withBilling { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "year", plan: "starter", cycle: .annual, at: utc(2026, 1, 15), prefix: "YEAR")
            _ = try Self.run(connection, at: utc(2026, 7, 1))  // January to June: 2990 once, then nothing
            try store.change(tenant: "year", plan: "professional", at: utc(2026, 7, 15))
            _ = try Self.run(connection, at: utc(2026, 8, 16))
            let invoices = try InvoiceStore(connection: connection).list(tenant: "year").sorted { $0.periodStart < $1.periodStart }
            #expect(invoices.map(\.total) == [Money("2990")!, .zero, .zero, .zero, .zero, .zero, Money("2520.55")!])
            // The July period's invoice: the year has 365 days, 184 left on July 15. Credit
            // 2990 x 184/365 = 1507.287... of the fee charged in January; charge 7990 x 184/365 = 4027.835...
            let july = try InvoiceStore(connection: connection).invoice(try #require(invoices.last?.number))
            #expect(july.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["proration -1507.29", "proration 4027.84"])
            #expect(july.lines[0].from == utc(2026, 7, 15) && july.lines[0].to == utc(2027, 1, 15))
            // August has nothing left to settle for the year.
            _ = try Self.run(connection, at: utc(2026, 9, 16))
            let august = try InvoiceStore(connection: connection).list(tenant: "year").max { $0.periodStart < $1.periodStart }
            #expect(august?.total == .zero && august?.periodStart == utc(2026, 8, 15))
        }
    }

    @Test func lateUsageIsLookedForInTheTailOfTheWindowOnly() throws {
        try withBilling { connection in
            try SubscriptionStore(connection: connection).create(tenant: "tail", plan: "starter", at: utc(2026, 3, 1), prefix: "TAIL")
            try Self.write(["ai_interactions:900|c|#tenant:tail|T\(utc(2026, 3, 10))",
                            "ai_interactions:200|c|#tenant:tail|T\(utc(2026, 3, 28))"], on: connection)
            _ = try Self.run(connection, at: utc(2026, 4, 2))
            // Settled: March 1 to 25 (900); read again: the last 7 days from March 25 (200).
            let billed = try connection.execute("""
                SELECT extract(epoch FROM recheck_from)::bigint, settled, used, kind FROM meterd.invoice_usage WHERE tenant = 'tail' AND metric = 'ai_interactions'
                """).rows.first
            #expect(billed == [String(utc(2026, 3, 25)), "900", "1100", "c"])
            // Late events: one in the tail (billed), one before it (outside the look-back: not billed).
            try Self.write(["ai_interactions:30|c|#tenant:tail|T\(utc(2026, 3, 30))",
                            "ai_interactions:70|c|#tenant:tail|T\(utc(2026, 3, 20))"], on: connection)
            _ = try Self.run(connection, at: utc(2026, 5, 2))
            let april = try InvoiceStore(connection: connection).invoice("TAIL-000002")
            // 1130 - 1000 = 130 over now, 100 billed: 30 x 0.05 = 1.50.
            #expect(april.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 299", "adjustment 1.5"])
        }
    }
}
