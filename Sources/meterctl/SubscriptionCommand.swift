import ArgumentParser
import MeterBilling
import MeterPlans
import MeterPostgres

/// `meterctl subscription ...`: the subscription lifecycle in PostgreSQL (docs/billing.md
/// "Subscriptions"), one SQL function per command, for people and cron jobs.
struct SubscriptionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription",
        abstract: "Create, change, cancel and inspect tenants' subscriptions in PostgreSQL.",
        discussion: """
            Instants are ISO 8601 in UTC: 2026-03-10T00:00:00Z, or a bare date (midnight UTC). \
            Without --at, the database's now. What the database refuses (a status change the \
            state machine forbids, an unknown plan, a taken invoice prefix) is printed as one \
            line on stderr, exit 1.
            """,
        subcommands: [Create.self, Change.self, Cancel.self, Unschedule.self, Show.self, Account.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a subscription (and open the tenant's billing account).")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "The tenant.") var tenant: String
        @Option(help: "Plan id.") var plan: String
        @Option(help: "monthly or annual: how the plan's fee is charged.") var cycle: String = BillingCycle.monthly.rawValue
        @Option(help: "Licensed seats (1-1000000).") var seats = 1
        @Option(help: "A free trial of N days from the start (1-365; standard: 14 or 30).") var trialDays: Int?
        @Option(help: "Billing anchor: start of period 0 (default: the start).") var anchor: String?
        @Option(help: "Start instant (default: now).") var at: String?
        @Option(help: "Tax region, ISO 3166: DE, US-CA.") var region: String?
        @Option(help: "Invoice number prefix, 2-12 of A-Z0-9 (default: from the tenant); fixed once set.") var prefix: String?

        func run() throws {
            try reportingErrors {
                let store = SubscriptionStore(connection: try postgres.connect())
                let id = try store.create(tenant: tenant, plan: plan, cycle: try parseCycle(cycle), seats: seats, trialDays: trialDays,
                                          anchor: try anchor.map { try InstantArgument.parse($0, option: "--anchor") }, at: try at.map { try InstantArgument.parse($0, option: "--at") },
                                          region: region, prefix: prefix)
                print("created subscription row \(id) for \(tenant)")
                try printSummary(store, tenant)
            }
        }
    }

    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upgrade, downgrade, change seats or cycle: now, at an instant, or at the end of the current billing period.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "The tenant.") var tenant: String
        @Option(help: "New plan id.") var plan: String?
        @Option(help: "New seat count.") var seats: Int?
        @Option(help: "New cycle: monthly or annual.") var cycle: String?
        @Flag(help: "From the end of the billing period containing --at (default: now).") var atPeriodEnd = false
        @Option(help: "From this instant (default: now).") var at: String?

        func run() throws {
            try reportingErrors {
                let store = SubscriptionStore(connection: try postgres.connect())
                let id = try store.change(tenant: tenant, plan: plan, seats: seats, cycle: try cycle.map(parseCycle),
                                          atPeriodEnd: atPeriodEnd, at: try at.map { try InstantArgument.parse($0, option: "--at") })
                let row = try store.rows(tenant: tenant).first { $0.id == id }
                print("changed \(tenant) from \(row.map { CivilTime(unixSeconds: $0.subscription.startedAt).description } ?? "?")")
                try printSummary(store, tenant)
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel now, at an instant, or at the end of the current billing period.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "The tenant.") var tenant: String
        @Flag(help: "At the end of the billing period containing --at (default: now).") var atPeriodEnd = false
        @Option(help: "At this instant (default: now).") var at: String?
        @Option(help: "Why, recorded with the event.") var reason: String?

        func run() throws {
            try reportingErrors {
                let store = SubscriptionStore(connection: try postgres.connect())
                let end = try store.cancel(tenant: tenant, atPeriodEnd: atPeriodEnd, at: try at.map { try InstantArgument.parse($0, option: "--at") },
                                           reason: reason)
                print("\(tenant)'s subscription ends at \(CivilTime(unixSeconds: end))")
                try printSummary(store, tenant)
            }
        }
    }

    struct Unschedule: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop the changes and the cancel scheduled after now.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "The tenant.") var tenant: String

        func run() throws {
            try reportingErrors {
                let store = SubscriptionStore(connection: try postgres.connect())
                let dropped = try store.unschedule(tenant: tenant)
                print("dropped \(dropped) scheduled \(dropped == 1 ? "event" : "events") of \(tenant)")
                try printSummary(store, tenant)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a tenant's status, billing account, subscription rows and events.",
            discussion: "Records the tenant's due transitions first (a trial ended, a scheduled cancel reached), so the status is current.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "The tenant.") var tenant: String
        @Flag(help: "One JSON object: tenant, status, account, rows, events.") var json = false

        func run() throws {
            try reportingErrors {
                let store = SubscriptionStore(connection: try postgres.connect())
                try store.applyDueTransitions(tenant: tenant)
                let report = SubscriptionReport(tenant: tenant, account: try store.account(tenant: tenant),
                                                rows: try store.rows(tenant: tenant), events: try store.events(tenant: tenant))
                guard report.account != nil || !report.rows.isEmpty else {
                    printError("error: tenant \(tenant) has no subscription")
                    throw ExitCode(1)
                }
                print(json ? report.json : report.text, terminator: "")
            }
        }
    }

    struct Account: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a billing account's region, name and email ('' clears one); print the account.")
        @OptionGroup var postgres: PostgresOptions
        @Argument(help: "The tenant.") var tenant: String
        @Option(help: "Tax region, ISO 3166: DE, US-CA.") var region: String?
        @Option(help: "Invoice prefix: only the current one (prefixes never change).") var prefix: String?
        @Option(help: "Customer name on invoices.") var name: String?
        @Option(help: "Billing email.") var email: String?

        func run() throws {
            try reportingErrors {
                let store = SubscriptionStore(connection: try postgres.connect())
                if region != nil || prefix != nil || name != nil || email != nil {
                    try store.setAccount(tenant: tenant, region: region, prefix: prefix, name: name, email: email)
                }
                guard let account = try store.account(tenant: tenant) else {
                    printError("error: tenant \(tenant) has no billing account: create a subscription first")
                    throw ExitCode(1)
                }
                print(SubscriptionReport.accountLine(account))
            }
        }
    }
}

/// Prints what the database and the store refuse as one line, exit 1.
private func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as PostgresError {
        printError("error: \(error.message)")
        throw ExitCode(1)
    } catch let error as SubscriptionError {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

private func printSummary(_ store: SubscriptionStore, _ tenant: String) throws {
    if let account = try store.account(tenant: tenant) { print(SubscriptionReport.accountLine(account)) }
}

private func parseCycle(_ text: String) throws -> BillingCycle {
    guard let cycle = BillingCycle(rawValue: text) else { throw ValidationError("--cycle must be monthly or annual, got '\(text)'") }
    return cycle
}
