import ArgumentParser
import MeterBilling
import MeterCore
import MeterPlans
import MeterPostgres

/// `meterctl billing ...`: billing runs (for cron), the tax rate table and coupons
/// (docs/billing.md). Works on PostgreSQL directly; meterd need not run.
struct Billing: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bill tenants from the rollups in PostgreSQL; manage tax rates and coupons (docs/billing.md).",
        subcommands: [Run.self, TaxRates.self, Coupon.self]
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invoice every billing period that has ended and has no invoice yet (idempotent).",
            discussion: """
                A period is due once it ended --grace-seconds before --at. Each due period gets one invoice, \
                finalized with the next number of the tenant's prefix (or left a draft with --draft). A period \
                already invoiced is never billed again; usage that arrived after its invoice was finalized is \
                billed as an adjustment on the next one. Exit 0 when every tenant was billed or up to date, \
                1 when some could not be (each is printed with its reason), 2 when another run holds the lock.
                """
        )

        @OptionGroup var postgres: PostgresOptions
        @Option(help: "The run's now: ISO 8601 UTC, a date or Unix seconds (default: now).")
        var at: String?
        @Option(help: "Seconds a period must have ended before it is billed.")
        var graceSeconds = BillingLimits.defaultGraceSeconds
        @Flag(help: "Leave the invoices as drafts (only each tenant's next period).")
        var draft = false
        @Option(name: .customLong("tenant"), help: "Bill only this tenant (repeatable).")
        var tenants: [String] = []
        @Option(help: "Tenants per transaction (1...\(BillingLimits.maxBatchTenants)).")
        var batchTenants = BillingLimits.defaultBatchTenants
        @Option(help: "The last days of the previous period's window read again for late usage (0...\(BillingLimits.maxLateUsageDays)).")
        var lateUsageDays = BillingLimits.defaultLateUsageDays
        @Option(help: "Days from finalization to the due date.")
        var paymentTermsDays = BillingLimits.defaultPaymentTermsDays
        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        func validate() throws {
            guard (1...BillingLimits.maxBatchTenants).contains(batchTenants) else { throw ValidationError("--batch-tenants must be 1...\(BillingLimits.maxBatchTenants)") }
            guard (0...BillingLimits.maxLateUsageDays).contains(lateUsageDays) else {
                throw ValidationError("--late-usage-days must be 0...\(BillingLimits.maxLateUsageDays)")
            }
            guard graceSeconds >= 0 else { throw ValidationError("--grace-seconds must not be negative") }
            guard (0...365).contains(paymentTermsDays) else { throw ValidationError("--payment-terms-days must be 0...365") }
        }

        func run() throws {
            var options = BillingRun.Options(at: try InstantArgument.seconds(at))
            options.graceSeconds = graceSeconds
            options.draftOnly = draft
            options.tenants = tenants.isEmpty ? nil : tenants
            options.batchTenants = batchTenants
            options.lateUsageDays = lateUsageDays
            options.paymentTermsDays = paymentTermsDays
            let connection = try postgres.connect()
            // Two more connections read the next batch's usage (whole days and edge hours, at
            // once) while the first writes (docs/billing.md "Billing runs").
            let reader = try postgres.connect()
            let edges = try postgres.connect()
            let clock = ContinuousClock()
            let started = clock.now
            let report: BillingRun.Report
            do {
                report = try BillingRun(connection: connection, readConnection: reader, edgeConnection: edges).run(options)
            } catch let error as BillingRun.RunError {
                printError(error.description)
                throw ExitCode(2)
            }
            let elapsed = clock.now - started
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            if json {
                print(BillingRunReportJSON.render(report, milliseconds: milliseconds))
            } else {
                for invoice in report.invoices {
                    print("\(invoice.number ?? "draft #\(invoice.id)")  \(invoice.tenant)  \(CivilTime(unixSeconds: invoice.periodStart)) to "
                          + "\(CivilTime(unixSeconds: invoice.periodEnd))  total \(invoice.total)")
                }
                for (tenant, reason) in report.failures.sorted(by: { $0.key < $1.key }) { printError("not billed: \(tenant): \(reason)") }
                print("\(report.invoices.count) invoices \(draft ? "drafted" : "finalized"), \(report.tenantsUpToDate) tenants up to date, "
                      + "\(report.failures.count) failed, in \(Int(milliseconds.rounded())) ms")
            }
            if !report.failures.isEmpty { throw ExitCode(1) }
        }
    }

    struct TaxRates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tax-rates", abstract: "Load or print the tax rate table.", subcommands: [Load.self, List.self])

        struct Load: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Replace meterd.tax_rates with a rate file (config/tax-rates.yaml).")
            @OptionGroup var postgres: PostgresOptions
            @Argument(help: "The rate file.") var file: String

            func run() throws {
                let rates: [TaxRate]
                do { rates = try TaxRateFile.load(path: file) } catch {
                    printError(error.description)
                    throw ExitCode(1)
                }
                try BillingSettingsStore(connection: try postgres.connect()).replaceTaxRates(rates)
                print("\(rates.count) tax rates loaded from \(file)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the tax rate table.")
            @OptionGroup var postgres: PostgresOptions

            func run() throws {
                for rate in try BillingSettingsStore(connection: try postgres.connect()).taxRates() {
                    print("\(rate.region)\t\(rate.name)\t\(rate.percent) %")
                }
            }
        }
    }

    struct Coupon: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create and redeem coupons.", subcommands: [Create.self, Redeem.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a coupon: a percentage or an amount off the subtotal.")
            @OptionGroup var postgres: PostgresOptions
            @Argument(help: "The code: upper-case letters, digits, _ and -, at most 64.") var code: String
            @Option(help: "Percent off (0 < p <= 100).") var percent: String?
            @Option(help: "Amount off, in the catalog's currency.") var amount: String?
            @Option(help: "once, forever or repeating:N (N invoices).") var duration = "once"

            func run() throws {
                let kind: Discount.Kind
                switch (percent, amount) {
                case (let text?, nil):
                    guard let value = Quantity(text), value > .zero, value <= Quantity(whole: 100)! else {
                        throw ValidationError("--percent must be a decimal above 0 and at most 100")
                    }
                    kind = .percent(value)
                case (nil, let text?):
                    guard let value = Money(text), value.micros > 0 else { throw ValidationError("--amount must be a decimal above 0") }
                    kind = .amount(value)
                default:
                    throw ValidationError("give exactly one of --percent and --amount")
                }
                guard let length = BillingSettingsStore.CouponDuration(duration) else {
                    throw ValidationError("--duration must be once, forever or repeating:N (N from 1 to 120)")
                }
                try BillingSettingsStore(connection: try postgres.connect()).createCoupon(code: code, discount: kind, duration: length)
                print("coupon \(code) created")
            }
        }

        struct Redeem: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Redeem a coupon for a tenant: it applies to periods ending after --at.")
            @OptionGroup var postgres: PostgresOptions
            @Argument(help: "The tenant.") var tenant: String
            @Argument(help: "The coupon code.") var code: String
            @Option(help: "When: ISO 8601 UTC, a date or Unix seconds (default: now).") var at: String?

            func run() throws {
                try BillingSettingsStore(connection: try postgres.connect()).redeem(tenant: tenant, code: code, at: try InstantArgument.seconds(at))
                print("coupon \(code) redeemed for \(tenant)")
            }
        }
    }
}

/// The run report as JSON, for cron jobs that log or alert on it.
enum BillingRunReportJSON {
    static func render(_ report: BillingRun.Report, milliseconds: Double) -> String {
        let invoices = report.invoices.map { invoice in
            "{\"id\":\(invoice.id),\"tenant\":\(JSONString.quoted(invoice.tenant)),\"number\":\(invoice.number.map(JSONString.quoted) ?? "null"),"
                + "\"period_start\":\"\(CivilTime(unixSeconds: invoice.periodStart))\",\"period_end\":\"\(CivilTime(unixSeconds: invoice.periodEnd))\","
                + "\"total\":\"\(invoice.total)\"}"
        }
        let failures = report.failures.sorted { $0.key < $1.key }.map { "\(JSONString.quoted($0.key)):\(JSONString.quoted($0.value))" }
        return "{\"invoices\":[\(invoices.joined(separator: ","))],\"failures\":{\(failures.joined(separator: ","))},"
            + "\"tenants_up_to_date\":\(report.tenantsUpToDate),\"milliseconds\":\(Int(milliseconds.rounded())),"
            + "\"read_ms\":\(ms(report.readDuration)),\"compute_ms\":\(ms(report.computeDuration)),\"write_ms\":\(ms(report.writeDuration))}"
    }

    static func ms(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(Int(value.rounded()))
    }
}
