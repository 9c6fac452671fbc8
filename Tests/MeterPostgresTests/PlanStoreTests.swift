import Foundation
import MeterCore
import MeterPlans
import MeterPostgres
import Synchronization
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PlanStoreTests {
    static let catalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "starter", name: "Starter", pricing: .list(monthly: Money("299")!, annual: Money("2990")!),
             metrics: ["ai_interactions": MetricTerms(included: .limited(Quantity("1000")!), overagePrice: Money("0.05")),
                       "providers": MetricTerms(included: .limited(Quantity("5")!))]),
        Plan(id: "enterprise", name: "Enterprise", pricing: .contract,
             metrics: ["patients": MetricTerms(included: .unlimited)], features: ["ambient_scribe", "sla_99_99"]),
    ])

    @Test func seedThenLoadRoundTripsTheCatalogAndConfigWinsOnReseed() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let store = PlanStore(connection: connection)
            try store.seed(Self.catalog)
            try store.seed(Self.catalog)  // idempotent
            #expect(try store.load().catalog == Self.catalog)

            // A hand edit of a config plan is overwritten by the next seed; a plan only in the
            // database survives it.
            try connection.execute("UPDATE meterd.plan_metrics SET included = 1 WHERE plan_id = 'starter' AND metric = 'providers'")
            try connection.execute("INSERT INTO meterd.plans (plan_id, name, currency, pricing) VALUES ('custom-acme', 'Acme', 'USD', 'contract')")
            try store.seed(Self.catalog)
            let loaded = try store.load().catalog
            #expect(loaded["starter"] == Self.catalog["starter"])
            #expect(loaded["custom-acme"]?.pricing == .contract)
            #expect(try connection.execute("SELECT source FROM meterd.plans ORDER BY plan_id").rows.map { $0[0] }
                == ["database", "config", "config"])
        }
    }

    /// One plan with every overage rate model (docs/plans.md "Overage rates").
    static let ratesCatalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "rated", name: "Rated", pricing: .list(monthly: Money("10")!, annual: Money("100")!), metrics: [
            "ai_interactions": MetricTerms(included: .limited(Quantity("1000")!), overagePrice: Money("0.05")),
            "sms_messages": MetricTerms(included: .limited(Quantity("500")!), overage: .tiered([
                RateTier(upTo: Quantity("1000")!, unitPrice: Money("0.02")!),
                RateTier(upTo: Quantity("5000.5")!, unitPrice: Money("0.015")!),
                RateTier(upTo: nil, unitPrice: Money("0.000001")!),
            ])),
            "telehealth_minutes": MetricTerms(included: .limited(Quantity("0")!), overage: .volume([
                RateTier(upTo: Quantity("100")!, unitPrice: Money("0.25")!),
                RateTier(upTo: nil, unitPrice: Money("0")!),
            ])),
            "fhir_api_calls": MetricTerms(included: .limited(Quantity("10000")!), overage: .package(size: Quantity("1000")!, price: Money("1.5")!)),
            "providers": MetricTerms(included: .limited(Quantity("5")!)),
            "patients": MetricTerms(included: .unlimited),
        ]),
    ])

    @Test func everyRateModelRoundTrips() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let store = PlanStore(connection: connection)
            try store.seed(Self.ratesCatalog)
            try store.seed(Self.ratesCatalog)  // the second seed replaces the tiers, never adds to them
            #expect(try store.load().catalog == Self.ratesCatalog)
            // The stored columns, as SQL users see them (overage_price NULL only when none is billed).
            #expect(try connection.execute("""
                SELECT metric, rate_model, overage_price, package_size FROM meterd.plan_metrics ORDER BY metric
                """).rows == [["ai_interactions", "per_unit", "0.05", nil], ["fhir_api_calls", "package", "1.5", "1000"],
                              ["patients", "per_unit", nil, nil], ["providers", "per_unit", nil, nil],
                              ["sms_messages", "tiered", "0.02", nil], ["telehealth_minutes", "volume", "0.25", nil]])
            #expect(try connection.execute("""
                SELECT metric, tier_index, up_to, unit_price FROM meterd.plan_metric_tiers ORDER BY metric, tier_index
                """).rows == [["sms_messages", "0", "1000", "0.02"], ["sms_messages", "1", "5000.5", "0.015"],
                              ["sms_messages", "2", nil, "0.000001"],
                              ["telehealth_minutes", "0", "100", "0.25"], ["telehealth_minutes", "1", nil, "0"]])

            // A change of model replaces the old one's rows.
            var changed = Self.ratesCatalog
            changed.plans["rated"]?.metrics["sms_messages"]?.overage = .package(size: Quantity("0.5")!, price: Money("2")!)
            changed.plans["rated"]?.metrics["fhir_api_calls"]?.overage = .volume([RateTier(upTo: nil, unitPrice: Money("0.001")!)])
            try store.seed(changed)
            #expect(try store.load().catalog == changed)
            #expect(try connection.execute("SELECT metric, tier_index FROM meterd.plan_metric_tiers ORDER BY metric, tier_index").rows
                == [["fhir_api_calls", "0"], ["telehealth_minutes", "0"], ["telehealth_minutes", "1"]])
        }
    }

    /// Rows written with migration 6's columns only (by hand, or before migration 8) read as per unit.
    @Test func oldStyleRowsLoadAsPerUnit() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            try connection.execute("""
                INSERT INTO meterd.plans (plan_id, name, currency, pricing, monthly_price, annual_price)
                VALUES ('legacy', 'Legacy', 'USD', 'list', 99, 990)
                """)
            try connection.execute("""
                INSERT INTO meterd.plan_metrics (plan_id, metric, included, overage_price)
                VALUES ('legacy', 'sms_messages', 100, 0.03), ('legacy', 'providers', 2, NULL), ('legacy', 'patients', NULL, NULL)
                """)
            let legacy = try #require(try PlanStore(connection: connection).load().catalog["legacy"])
            #expect(legacy.metrics == [
                "sms_messages": MetricTerms(included: .limited(Quantity("100")!), overage: .perUnit(Money("0.03")!)),
                "providers": MetricTerms(included: .limited(Quantity("2")!)),
                "patients": MetricTerms(included: .unlimited),
            ])
        }
    }

    /// Hand-written rates the plans file could not express: the constraints refuse what they can,
    /// the load refuses the rest (and the plan book keeps its last good snapshot).
    @Test func inconsistentRatesAreRefused() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let store = PlanStore(connection: connection)
            try store.seed(Self.ratesCatalog)
            let metric = "plan_id = 'rated' AND metric"
            // Constraints.
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE meterd.plan_metrics SET rate_model = 'banded' WHERE \(metric) = 'ai_interactions'") }
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE meterd.plan_metrics SET rate_model = 'package' WHERE \(metric) = 'ai_interactions'") }
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE meterd.plan_metrics SET package_size = 0 WHERE \(metric) = 'fhir_api_calls'") }
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE meterd.plan_metrics SET overage_price = NULL WHERE \(metric) = 'sms_messages'") }
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE meterd.plan_metric_tiers SET up_to = 0 WHERE \(metric) = 'sms_messages' AND tier_index = 0") }
            #expect(throws: PostgresError.self) { try connection.execute("UPDATE meterd.plan_metric_tiers SET unit_price = 0.0000001 WHERE \(metric) = 'sms_messages' AND tier_index = 0") }
            #expect(throws: PostgresError.self) { try connection.execute("INSERT INTO meterd.plan_metric_tiers VALUES ('rated', 'no_such_metric', 0, NULL, 1)") }
            #expect(try store.load().catalog == Self.ratesCatalog)

            // What the load refuses, each with the plan and metric named.
            let refusals: [(String, String)] = [
                ("UPDATE meterd.plan_metric_tiers SET up_to = 6000 WHERE \(metric) = 'sms_messages' AND tier_index = 0",
                 "plan 'rated' metric 'sms_messages': tiered rate needs 'up_to' bounds above 0 and strictly ascending, got 5000.5 after 6000"),
                ("UPDATE meterd.plan_metric_tiers SET up_to = 7000 WHERE \(metric) = 'sms_messages' AND tier_index = 2",
                 "plan 'rated' metric 'sms_messages': tiered rate needs a last tier without 'up_to' (it prices every unit beyond the others)"),
                ("UPDATE meterd.plan_metrics SET overage_price = 0.03 WHERE \(metric) = 'sms_messages'",
                 "plan 'rated' metric 'sms_messages': overage_price 0.03 differs from the first tier's unit_price 0.02"),
                ("UPDATE meterd.plan_metric_tiers SET tier_index = 3 WHERE \(metric) = 'sms_messages' AND tier_index = 1",
                 "plan 'rated' metric 'sms_messages': tier_index 2 where 1 was next (indexes run 0, 1, 2, ...)"),
                ("UPDATE meterd.plan_metrics SET rate_model = 'per_unit' WHERE \(metric) = 'telehealth_minutes'",
                 "plan 'rated' metric 'telehealth_minutes': has tiers in plan_metric_tiers but rate_model 'per_unit'"),
                ("UPDATE meterd.plan_metrics SET rate_model = 'tiered', package_size = NULL WHERE \(metric) = 'fhir_api_calls'",
                 "plan 'rated' metric 'fhir_api_calls': tiered rate needs at least one tier"),
            ]
            for (edit, message) in refusals {
                try connection.execute(edit)
                do {
                    _ = try store.load()
                    Issue.record("loaded after: \(edit)")
                } catch {
                    #expect((error as? PostgresError)?.message == message, "after: \(edit)")
                }
                try store.seed(Self.ratesCatalog)  // config wins: the next edit starts from the seeded rows
            }
            #expect(try store.load().catalog == Self.ratesCatalog)
        }
    }

    @Test func planChangeKeepsHistoryAnchorAndSeats() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let store = PlanStore(connection: connection)
            try store.seed(Self.catalog)
            let jan31 = CivilTime(year: 2026, month: 1, day: 31, secondOfDay: 9 * 3600).unixSeconds
            let mar10 = CivilTime(year: 2026, month: 3, day: 10).unixSeconds
            try store.setSubscription(tenant: "acme", plan: "starter", anchor: jan31, seats: 3, at: jan31)
            try store.setSubscription(tenant: "acme", plan: "enterprise", at: mar10)
            let rows = try connection.execute("""
                SELECT plan_id, extract(epoch FROM billing_anchor)::bigint, seats,
                       extract(epoch FROM started_at)::bigint, extract(epoch FROM ended_at)::bigint
                FROM meterd.subscriptions WHERE tenant = 'acme' ORDER BY started_at
                """).rows
            #expect(rows == [["starter", String(jan31), "3", String(jan31), String(mar10)],
                             ["enterprise", String(jan31), "3", String(mar10), nil]])
            // Only the row in force now (and later) is loaded.
            #expect(try store.load().subscriptions["acme"]?.map(\.planID) == ["enterprise"])
            #expect(throws: PostgresError.self) { try store.setSubscription(tenant: "acme", plan: "starter", at: mar10 - 1) }
            #expect(throws: PostgresError.self) { try store.setSubscription(tenant: "bob", plan: "no-such-plan") }
            #expect(try store.endSubscription(tenant: "acme"))
            #expect(try store.endSubscription(tenant: "acme") == false)
            #expect(try store.load().subscriptions["acme"] == nil)
        }
    }

    /// A running refresher picks up a subscription written by someone else within one interval.
    @Test func runningRefresherPicksUpASubscriptionWithinTheInterval() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            let database = try #require(try connection.execute("SELECT current_database()").rows.first?[0] ?? nil)
            let book = PlanBook()
            let refreshes = Atomic<Int>(0)
            let interval = Duration.milliseconds(300)
            let refresher = PlanBookRefresher(connectionString: try #require(TestDatabase.url), book: book, interval: interval,
                                              seed: Self.catalog, connectionOverrides: [("dbname", database)]) { outcome in
                if case .refreshed = outcome { refreshes.add(1, ordering: .relaxed) }
            }
            refresher.start()
            defer { refresher.stop() }
            try waitUntil("the first refresh") { refreshes.load(ordering: .relaxed) >= 1 }
            #expect(book.snapshot.catalog == Self.catalog)  // seeded, migrated, read back

            try PlanStore(connection: connection).setSubscription(tenant: "acme", plan: "starter", seats: 2)
            let written = ContinuousClock.now
            try waitUntil("the subscription") { book.snapshot.subscription(of: "acme", at: Int64(Date().timeIntervalSince1970)) != nil }
            // Documented bound: one interval plus a round trip (generous slack for a loaded box).
            #expect(ContinuousClock.now - written < interval + .seconds(2))
            #expect(book.snapshot.subscription(of: "acme", at: Int64(Date().timeIntervalSince1970))?.seats == 2)
        }
    }

    /// While the database is unreachable the book keeps its last snapshot and failures are reported.
    @Test func unreachableDatabaseKeepsTheLastSnapshot() throws {
        let book = PlanBook(PlanBookSnapshot(catalog: Self.catalog))
        let failures = Atomic<Int>(0)
        let refresher = PlanBookRefresher(connectionString: "host=127.0.0.1 port=1 connect_timeout=1", book: book,
                                          interval: .milliseconds(100), seed: Self.catalog) { outcome in
            if case .failed = outcome { failures.add(1, ordering: .relaxed) }
        }
        refresher.start()
        defer { refresher.stop() }
        try waitUntil("two failed rounds") { failures.load(ordering: .relaxed) >= 2 }
        #expect(book.snapshot.catalog == Self.catalog)
    }

    private func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
