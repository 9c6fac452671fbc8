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
