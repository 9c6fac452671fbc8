import Foundation
import MeterPlans
import MeterPostgres
import Testing

/// `meterctl subscription` against a private PostgreSQL database (docs/billing.md
/// "Subscriptions"): the built binary, its output, its one-line errors and exit codes.
@Suite(.timeLimit(.minutes(1)))
struct MeterctlSubscriptionTests {
    static let catalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "starter", name: "Starter", pricing: .list(monthly: Money("299")!, annual: Money("2990")!)),
        Plan(id: "professional", name: "Professional", pricing: .list(monthly: Money("799")!, annual: Money("7990")!)),
    ])

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func lifecycleFromTheCommandLine() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let database = try connect()
            try Migrations.apply(on: database)
            try PlanStore(connection: database).seed(Self.catalog)
            func ctl(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
                try MeterctlEndToEndTests.meterctl(["subscription"] + arguments + ["--postgres", url])
            }

            let create = try ctl(["create", "acme", "--plan", "starter", "--seats", "3", "--trial-days", "14",
                                  "--at", "2026-01-31T09:00:00Z", "--region", "US-CA", "--prefix", "ACME"])
            #expect(create.status == 0, "\(create.err)")
            #expect(create.out.contains("account acme: trialing, invoice prefix ACME, region US-CA"), "\(create.out)")
            let upgrade = try ctl(["change", "acme", "--plan", "professional", "--at", "2026-03-10"])
            #expect(upgrade.status == 0 && upgrade.out.hasPrefix("changed acme from 2026-03-10T00:00:00Z"), "\(upgrade.out)\(upgrade.err)")
            let seats = try ctl(["change", "acme", "--seats", "2", "--at-period-end", "--at", "2026-03-12T08:00:00Z"])
            #expect(seats.status == 0 && seats.out.hasPrefix("changed acme from 2026-03-31T09:00:00Z"), "\(seats.out)\(seats.err)")

            // What the database refuses: one line on stderr, exit 1.
            for (arguments, message) in [
                (["create", "acme", "--plan", "starter"], "error: tenant acme already has a subscription: change it, or cancel it first"),
                (["change", "acme", "--plan", "platinum", "--at", "2026-04-05"], "error: unknown plan 'platinum'"),
                (["create", "acme2", "--plan", "starter", "--prefix", "ACME"], "error: invoice prefix ACME is taken by tenant acme: give another one"),
                (["account", "acme", "--region", "Germany"], "error: region must be an ISO 3166 code such as DE or US-CA, got 'Germany'"),
            ] {
                let refused = try ctl(arguments)
                #expect(refused.status == 1 && refused.err == message + "\n", "\(arguments): \(refused.err)")
            }
            let badInstant = try ctl(["cancel", "acme", "--at", "2026-02-30"])
            #expect(badInstant.status != 0 && badInstant.err.contains("--at takes an ISO 8601 UTC instant"), "\(badInstant.err)")

            // show records the due trial end (Feb 14 09:00) first.
            let show = try ctl(["show", "acme", "--json"])
            #expect(show.status == 0, "\(show.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any])
            #expect(json["status"] as? String == "active")
            #expect((json["account"] as? [String: Any])?["invoice_prefix"] as? String == "ACME")
            let rows = try #require(json["rows"] as? [[String: Any]])
            #expect(rows.map { $0["plan"] as? String } == ["starter", "professional", "professional"])
            #expect(rows.map { $0["started_at"] as? String } == ["2026-01-31T09:00:00Z", "2026-03-10T00:00:00Z", "2026-03-31T09:00:00Z"])
            #expect(rows.map { $0["trial_ends_at"] as? String } == Array(repeating: "2026-02-14T09:00:00Z", count: 3))
            let events = try #require(json["events"] as? [[String: Any]])
            #expect(events.map { $0["event"] as? String } == ["created", "activated", "upgraded", "downgraded"])
            #expect(events.map { $0["occurred_at"] as? String }
                == ["2026-01-31T09:00:00Z", "2026-02-14T09:00:00Z", "2026-03-10T00:00:00Z", "2026-03-31T09:00:00Z"])

            let cancel = try ctl(["cancel", "acme", "--at", "2026-06-01", "--reason", "moved to a competitor"])
            #expect(cancel.status == 0 && cancel.out.hasPrefix("acme's subscription ends at 2026-06-01T00:00:00Z"), "\(cancel.out)\(cancel.err)")
            let text = try ctl(["show", "acme"])
            #expect(text.status == 0 && text.out.hasPrefix("account acme: canceled, invoice prefix ACME"), "\(text.out)")
            #expect(text.out.contains("  2026-06-01T00:00:00Z canceled active -> canceled (professional, monthly, 2 seats): moved to a competitor"),
                    "\(text.out)")
            let unschedule = try ctl(["unschedule", "acme"])
            #expect(unschedule.status == 1 && unschedule.err.hasPrefix("error: tenant acme has no change or cancel scheduled after "))
            let account = try ctl(["account", "acme", "--name", "Acme Health", "--email", "billing@acme.test"])
            #expect(account.status == 0 && account.out == "account acme: canceled, invoice prefix ACME, region US-CA, "
                + "name Acme Health, email billing@acme.test\n", "\(account.out)\(account.err)")
            let none = try ctl(["show", "nobody"])
            #expect(none.status == 1 && none.err == "error: tenant nobody has no subscription\n")
        }
    }
}
