import Foundation
import MeterBilling
import MeterCore
import MeterPlans
import MeterPostgres
import Synchronization
import Testing

/// The subscription lifecycle against the real PostgreSQL (docs/billing.md "Subscriptions").
@Suite(.enabled(if: SubscriptionTestDatabase.isConfigured, SubscriptionTestDatabase.skipMessage))
struct SubscriptionStoreTests {
    static let day: Int64 = 86_400

    @Test(arguments: SubscriptionLimits.standardTrialDays)
    func trialTurnsActiveExactlyAtItsEnd(days: Int) throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let start = utc(2026, 1, 31, 9, 30)
            try store.create(tenant: "acme", plan: "starter", trialDays: days, at: start)
            let trialEnd = start + Int64(days) * Self.day
            let row = try #require(try store.rows(tenant: "acme").first?.subscription)
            #expect(row.trialEndsAt == trialEnd && row.billingAnchor == start && row.startedAt == start && row.cycle == .monthly)
            #expect(try store.account(tenant: "acme")?.status == .trialing)

            #expect(try store.applyDueTransitions(now: trialEnd - 1) == 0)
            #expect(try store.account(tenant: "acme")?.status == .trialing)
            #expect(try store.applyDueTransitions(now: trialEnd) == 1)
            #expect(try store.applyDueTransitions(now: trialEnd + Self.day) == 0)  // recorded once
            #expect(try store.account(tenant: "acme")?.status == .active)

            let events = try store.events(tenant: "acme")
            try #require(events.count == 2)
            #expect(events.map(\.kind) == [.created, .activated])
            #expect(events.map(\.occurredAt) == [start, trialEnd])
            #expect(events[0].toStatus == .trialing && events[0].fromStatus == nil && events[0].detail == "trial of \(days) days")
            #expect(events[1].fromStatus == .trialing && events[1].toStatus == .active && events[1].planID == "starter")
        }
    }

    @Test func upgradeMidPeriodSplitsTheRowAtTheInstant() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let anchor = utc(2026, 1, 31, 9)
            try store.create(tenant: "acme", plan: "starter", cycle: .annual, seats: 3, trialDays: 14, at: anchor)
            let mar10 = utc(2026, 3, 10)
            let id = try store.change(tenant: "acme", plan: "professional", at: mar10)
            let rows = try store.rows(tenant: "acme")
            #expect(rows.map(\.subscription) == [
                Subscription(tenant: "acme", planID: "starter", billingAnchor: anchor, seats: 3, startedAt: anchor, endedAt: mar10,
                             cycle: .annual, trialEndsAt: anchor + 14 * Self.day),
                Subscription(tenant: "acme", planID: "professional", billingAnchor: anchor, seats: 3, startedAt: mar10,
                             cycle: .annual, trialEndsAt: anchor + 14 * Self.day),
            ])
            #expect(rows.last?.id == id)
            let upgrade = try #require(try store.events(tenant: "acme").last)
            #expect(upgrade.kind == .upgraded && upgrade.occurredAt == mar10 && upgrade.planID == "professional"
                && upgrade.seats == 3 && upgrade.cycle == .annual && upgrade.detail == "plan starter -> professional")
            #expect(upgrade.fromStatus == nil && upgrade.toStatus == nil)  // not a status transition
        }
    }

    /// Upgrade or downgrade by a year of the fee (price for the cycle x seats); contract plans
    /// count as the highest, two contract plans compare equal.
    @Test func changesAreNamedByTheirYearlyFee() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let t0 = utc(2026, 1, 1)
            try store.create(tenant: "acme", plan: "professional", seats: 3, at: t0)
            try store.change(tenant: "acme", seats: 5, at: t0 + 1 * Self.day)  // 799 x 12 x 3 -> x 5
            try store.change(tenant: "acme", seats: 2, at: t0 + 2 * Self.day)
            try store.change(tenant: "acme", cycle: .annual, at: t0 + 3 * Self.day)  // 799 x 12 x 2 = 19176 -> 7990 x 2
            try store.change(tenant: "acme", plan: "starter", seats: 8, cycle: .monthly, at: t0 + 4 * Self.day)  // 15980 -> 28704
            try store.change(tenant: "acme", plan: "enterprise", at: t0 + 5 * Self.day)
            try store.change(tenant: "acme", plan: "enterprise-plus", at: t0 + 6 * Self.day)
            try store.change(tenant: "acme", plan: "starter", at: t0 + 7 * Self.day)
            let changes = try store.events(tenant: "acme").dropFirst()
            #expect(changes.map(\.kind) == [.upgraded, .downgraded, .downgraded, .upgraded, .upgraded, .changed, .downgraded])
            #expect(changes.map(\.detail) == ["seats 3 -> 5", "seats 5 -> 2", "cycle monthly -> annual",
                                              "plan professional -> starter, seats 2 -> 8, cycle annual -> monthly",
                                              "plan starter -> enterprise", "plan enterprise -> enterprise-plus",
                                              "plan enterprise-plus -> starter"])
            #expect(changes.map(\.occurredAt) == (1...7).map { t0 + Int64($0) * Self.day })
            #expect(try store.rows(tenant: "acme").count == 8)
            #expect(refusal { try store.change(tenant: "acme", plan: "starter", at: t0 + 8 * Self.day) }?
                .hasPrefix("nothing to change: tenant acme is on starter") == true)
            #expect(refusal { try store.change(tenant: "acme", plan: "platinum", at: t0 + 8 * Self.day) } == "unknown plan 'platinum'")
            #expect(throws: SubscriptionError.nothingToChange) { try store.change(tenant: "acme") }
        }
    }

    /// A downgrade at period end is a future-dated row: the plan book picks the old plan up to
    /// the period's end and the new one from it; unschedule drops it and its event.
    @Test func downgradeAtPeriodEndTakesEffectAtThePeriodBoundary() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let anchor = utc(2026, 1, 31, 9)
            try store.create(tenant: "acme", plan: "professional", seats: 2, at: anchor)
            let mar10 = utc(2026, 3, 10)
            let periodEnd = utc(2026, 3, 31, 9)  // period #1 is [Feb 28 09:00, Mar 31 09:00)
            #expect(try store.periodEnd(tenant: "acme", at: mar10) == periodEnd)
            try store.change(tenant: "acme", plan: "starter", atPeriodEnd: true, at: mar10)

            let rows = try store.rows(tenant: "acme").map(\.subscription)
            try #require(rows.count == 2)
            #expect(rows.map(\.planID) == ["professional", "starter"] && rows[0].endedAt == periodEnd && rows[1].startedAt == periodEnd)
            let book = PlanBookSnapshot(catalog: SubscriptionTestDatabase.catalog, subscriptions: rows)
            #expect(book.subscription(of: "acme", at: mar10)?.planID == "professional")
            #expect(book.subscription(of: "acme", at: periodEnd - 1)?.planID == "professional")
            #expect(book.subscription(of: "acme", at: periodEnd)?.planID == "starter")
            #expect(book.subscription(of: "acme", at: periodEnd)?.seats == 2)
            let downgrade = try #require(try store.events(tenant: "acme").last)
            #expect(downgrade.kind == .downgraded && downgrade.occurredAt == periodEnd)

            // A change before the scheduled one is refused; unscheduling (as of Mar 10) restores the open row.
            #expect(refusal { try store.change(tenant: "acme", seats: 4, at: mar10 + 60) }?
                .contains("has a subscription starting at") == true)
            #expect(try store.unschedule(tenant: "acme", at: mar10) == 1)
            #expect(try store.rows(tenant: "acme").map(\.subscription.endedAt) == [nil])
            let events = try store.events(tenant: "acme")
            #expect(events.map(\.kind) == [.created, .unscheduled])
            #expect(events.last?.occurredAt == mar10 && events.last?.detail == "dropped downgraded at 2026-03-31T09:00:00Z "
                + "(plan professional -> starter)")
            #expect(refusal { try store.unschedule(tenant: "acme", at: mar10) }?.hasPrefix("tenant acme has no change or cancel scheduled") == true)
        }
    }

    /// Anchored on the 31st: "period end" follows the clamped month ends (Feb 28, Mar 31, Apr 30).
    @Test func periodEndsOfAnAnchorOnThe31st() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let anchor = utc(2026, 1, 31, 9)
            try store.create(tenant: "acme", plan: "starter", seats: 10, at: utc(2026, 1, 20))
            #expect(refusal { try store.create(tenant: "acme", plan: "starter", at: anchor) } != nil)
            try store.change(tenant: "acme", seats: 9, at: utc(2026, 1, 25))
            #expect(try store.rows(tenant: "acme").last?.subscription.billingAnchor == utc(2026, 1, 20))

            try store.create(tenant: "beta", plan: "starter", seats: 10, anchor: anchor, at: anchor)
            #expect(throws: SubscriptionError.beforeAnchor(tenant: "gamma", anchor: anchor)) {
                try store.create(tenant: "gamma", plan: "starter", anchor: anchor, at: utc(2026, 1, 10))
                try store.change(tenant: "gamma", seats: 2, atPeriodEnd: true, at: utc(2026, 1, 11))
            }
            try store.change(tenant: "beta", seats: 9, atPeriodEnd: true, at: utc(2026, 2, 10))
            try store.change(tenant: "beta", seats: 8, atPeriodEnd: true, at: utc(2026, 3, 5))
            try store.change(tenant: "beta", seats: 7, atPeriodEnd: true, at: utc(2026, 3, 31, 9))
            let starts = try store.rows(tenant: "beta").map { CivilTime(unixSeconds: $0.subscription.startedAt).description }
            #expect(starts == ["2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z", "2026-04-30T09:00:00Z"])
            #expect(try store.rows(tenant: "beta").map(\.subscription.seats) == [10, 9, 8, 7])
        }
    }

    @Test func cancelImmediatelyThenResubscribe() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let start = utc(2026, 1, 31, 9)
            try store.create(tenant: "acme", plan: "starter", trialDays: 14, at: start)
            let cancelAt = utc(2026, 3, 2, 12)
            #expect(try store.cancel(tenant: "acme", at: cancelAt, reason: "customer asked") == cancelAt)
            #expect(try store.account(tenant: "acme")?.status == .canceled)
            #expect(try store.rows(tenant: "acme").map(\.subscription.endedAt) == [cancelAt])
            var events = try store.events(tenant: "acme")
            // The trial that ended before the cancel is recorded first, at its own instant.
            try #require(events.count == 3)
            #expect(events.map(\.kind) == [.created, .activated, .canceled])
            #expect(events.map(\.occurredAt) == [start, start + 14 * Self.day, cancelAt])
            #expect(events[2].fromStatus == .active && events[2].toStatus == .canceled && events[2].detail == "customer asked")

            #expect(refusal { try store.change(tenant: "acme", seats: 2) } == "tenant acme has no subscription in force: create one")
            #expect(refusal { try store.cancel(tenant: "acme", at: cancelAt + 1) }?.hasPrefix("tenant acme has no subscription in force") == true)
            #expect(refusal { try store.create(tenant: "acme", plan: "starter", at: cancelAt - 1) } != nil)

            let again = utc(2026, 4, 1)
            try store.create(tenant: "acme", plan: "professional", cycle: .annual, at: again)
            #expect(try store.account(tenant: "acme")?.status == .active)
            events = try store.events(tenant: "acme")
            #expect(events.last?.kind == .created && events.last?.fromStatus == .canceled && events.last?.toStatus == .active
                && events.last?.occurredAt == again && events.last?.cycle == .annual)
            #expect(try store.account(tenant: "acme")?.invoicePrefix == "ACME")  // the same account
        }
    }

    /// Cancel at period end: a future end; the status changes only when it is applied, at the
    /// period end. Uses the database's clock: "future" is relative to now.
    @Test func cancelAtPeriodEndIsCanceledOnlyOnceApplied() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let now = try store.now()
            let start = now - 5 * Self.day
            try store.create(tenant: "acme", plan: "starter", at: start)
            let periodEnd = BillingPeriod.period(index: 0, anchor: start).end
            #expect(try store.cancel(tenant: "acme", atPeriodEnd: true) == periodEnd)
            #expect(try store.account(tenant: "acme")?.status == .active)
            #expect(try store.events(tenant: "acme").map(\.kind) == [.created, .cancelScheduled])
            #expect(try store.events(tenant: "acme").last?.occurredAt == periodEnd)
            #expect(refusal { try store.change(tenant: "acme", seats: 2) }?.hasPrefix("tenant acme has a cancel scheduled at") == true)

            #expect(try store.applyDueTransitions(now: periodEnd - 1) == 0)
            #expect(try store.account(tenant: "acme")?.status == .active)
            #expect(try store.applyDueTransitions(now: periodEnd, tenant: "someone-else") == 0)
            #expect(try store.account(tenant: "acme")?.status == .active)
            #expect(try store.applyDueTransitions(now: periodEnd, tenant: "acme") == 1)
            #expect(try store.applyDueTransitions(now: periodEnd) == 0)
            #expect(try store.account(tenant: "acme")?.status == .canceled)
            let canceled = try #require(try store.events(tenant: "acme").last)
            #expect(canceled.kind == .canceled && canceled.occurredAt == periodEnd && canceled.fromStatus == .active)

            // Unscheduling a pending cancel reopens the row.
            try store.create(tenant: "beta", plan: "starter", at: start)
            try store.cancel(tenant: "beta", atPeriodEnd: true)
            #expect(try store.unschedule(tenant: "beta") == 1)
            #expect(try store.rows(tenant: "beta").map(\.subscription.endedAt) == [nil])
            #expect(try store.applyDueTransitions(now: periodEnd + Self.day) == 0)
            #expect(try store.account(tenant: "beta")?.status == .active)
            #expect(try store.events(tenant: "beta").map(\.kind) == [.created, .unscheduled])
        }
    }

    @Test func refusedTransitionsNameWhatIsAllowed() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let start = utc(2026, 5, 1)
            try store.create(tenant: "acme", plan: "starter", trialDays: 30, at: start)
            #expect(refusal { try store.transition(tenant: "acme", to: .pastDue, at: start + Self.day) }
                == "tenant acme: status trialing cannot change to past_due (allowed from trialing: active, canceled)")
            #expect(refusal { try store.transition(tenant: "acme", to: .trialing, at: start + Self.day) }?
                .hasPrefix("tenant acme: status trialing cannot change to trialing") == true)
            // After the trial (recorded first by the transition itself) an unpaid invoice makes it past due.
            try store.transition(tenant: "acme", to: .pastDue, at: start + 31 * Self.day, reason: "invoice ACME-0001 unpaid")
            try store.transition(tenant: "acme", to: .active, at: start + 35 * Self.day, reason: "invoice ACME-0001 paid")
            try store.transition(tenant: "acme", to: .canceled, at: start + 40 * Self.day)
            #expect(refusal { try store.transition(tenant: "acme", to: .active, at: start + 41 * Self.day) }
                == "tenant acme: status canceled cannot change to active (allowed from canceled: none; a new subscription starts it again)")
            #expect(refusal { try store.transition(tenant: "nobody", to: .active) }
                == "tenant nobody has no billing account: create a subscription first")
            let events = try store.events(tenant: "acme")
            #expect(events.map(\.kind) == [.created, .activated, .pastDue, .activated, .canceled])
            #expect(events.map(\.toStatus) == [.trialing, .active, .pastDue, .active, .canceled])
            #expect(events.map(\.detail) == ["trial of 30 days", "trial ended", "invoice ACME-0001 unpaid", "invoice ACME-0001 paid",
                                             "canceled"])
            #expect(try store.rows(tenant: "acme").map(\.subscription.endedAt) == [start + 40 * Self.day])
        }
    }

    /// An early activation ends the trial at that instant, so billing starts charging there.
    @Test func activatingATrialEarlyEndsIt() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let start = utc(2026, 5, 1)
            try store.create(tenant: "acme", plan: "starter", trialDays: 30, at: start)
            try store.transition(tenant: "acme", to: .active, at: start + 3 * Self.day, reason: "converted early")
            #expect(try store.rows(tenant: "acme").map(\.subscription.trialEndsAt) == [start + 3 * Self.day])
            #expect(try store.applyDueTransitions(now: start + 60 * Self.day) == 0)
            #expect(try store.events(tenant: "acme").map(\.kind) == [.created, .activated])
        }
    }

    /// Swift's table and the database's agree on every pair of statuses.
    @Test func swiftAndSQLStateMachinesAgree() throws {
        try SubscriptionTestDatabase.withStore { connection in
            for from in SubscriptionStatus.allCases {
                for to in SubscriptionStatus.allCases {
                    let sql = try connection.execute("SELECT meterd.subscription_transition_allowed($1, $2)",
                                                     parameters: [from.rawValue, to.rawValue]).rows.first?[0]
                    #expect(sql == (from.canTransition(to: to) ? "t" : "f"), "\(from) -> \(to)")
                }
            }
        }
    }

    @Test func sqlRefusesExactlyWhatTheSwiftLimitsRefuse() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            func sqlCreate(_ tenant: String, seats: Int = 1, trialDays: Int? = nil) -> String? {
                refusal {
                    try connection.execute("SELECT meterd.create_subscription($1, 'starter', 'monthly', $2::integer, $3::integer)",
                                           parameters: [tenant, String(seats), trialDays.map(String.init)])
                }
            }
            let days = SubscriptionLimits.trialDays, seats = SubscriptionLimits.seats
            #expect(sqlCreate("t1", trialDays: days.lowerBound) == nil)
            #expect(sqlCreate("t2", trialDays: days.upperBound) == nil)
            #expect(sqlCreate("t3", trialDays: days.lowerBound - 1)?.hasPrefix("trial days must be between 1 and 365") == true)
            #expect(sqlCreate("t3", trialDays: days.upperBound + 1)?.hasPrefix("trial days must be between 1 and 365") == true)
            #expect(sqlCreate("t4", seats: seats.lowerBound) == nil)
            #expect(sqlCreate("t5", seats: seats.upperBound) == nil)
            #expect(sqlCreate("t6", seats: seats.lowerBound - 1) == "seats must be between 1 and 1000000, got 0")
            #expect(sqlCreate("t6", seats: seats.upperBound + 1) == "seats must be between 1 and 1000000, got 1000001")
            #expect(throws: SubscriptionError.trialDaysOutOfRange(366)) { try store.create(tenant: "t7", plan: "starter", trialDays: 366) }
            #expect(throws: SubscriptionError.trialDaysOutOfRange(0)) { try store.create(tenant: "t7", plan: "starter", trialDays: 0) }
            #expect(throws: SubscriptionError.seatsOutOfRange(1_000_001)) { try store.create(tenant: "t7", plan: "starter", seats: 1_000_001) }
            #expect(throws: SubscriptionError.seatsOutOfRange(0)) { try store.change(tenant: "t4", seats: 0) }
            #expect(refusal { try connection.execute("SELECT meterd.change_subscription('t4', p_seats => 0)") }
                == "seats must be between 1 and 1000000, got 0")
        }
    }

    @Test func billingAccountPrefixRegionAndContact() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            try store.create(tenant: "acme-health", plan: "starter", region: "US-CA", name: "Acme Health", email: "billing@acme.test")
            var account = try #require(try store.account(tenant: "acme-health"))
            #expect(account.invoicePrefix == "ACMEHEALTH" && account.region == "US-CA" && account.name == "Acme Health"
                && account.email == "billing@acme.test" && account.status == .active)

            // Derived prefixes: upper-case letters and digits, at most 12; a clash or a too short one asks for one.
            try store.create(tenant: "northwind.traders.eu", plan: "starter")
            #expect(try store.account(tenant: "northwind.traders.eu")?.invoicePrefix == "NORTHWINDTRA")
            #expect(refusal { try store.create(tenant: "ACME_HEALTH", plan: "starter") }
                == "invoice prefix ACMEHEALTH is taken by tenant acme-health: give another one")
            #expect(refusal { try store.create(tenant: "x", plan: "starter") }
                == "invoice prefix must be 2 to 12 upper-case letters or digits, got 'X' (derived from the tenant): give one")
            #expect(refusal { try store.create(tenant: "y", plan: "starter", prefix: "y-1") }
                == "invoice prefix must be 2 to 12 upper-case letters or digits, got 'y-1'")
            try store.create(tenant: "ACME_HEALTH", plan: "starter", prefix: "AH2")
            #expect(try store.rows(tenant: "x").isEmpty && store.account(tenant: "x") == nil)  // nothing half-created

            try store.setAccount(tenant: "acme-health", region: "DE", email: "")
            account = try #require(try store.account(tenant: "acme-health"))
            #expect(account.region == "DE" && account.email == nil && account.name == "Acme Health")
            #expect(refusal { try store.setAccount(tenant: "acme-health", region: "Germany") }
                == "region must be an ISO 3166 code such as DE or US-CA, got 'Germany'")
            #expect(refusal { try store.setAccount(tenant: "acme-health", email: "nobody") } == "email must look like name@domain, got 'nobody'")
            #expect(refusal { try store.setAccount(tenant: "acme-health", prefix: "AH") }
                == "tenant acme-health has invoice prefix ACMEHEALTH, which never changes (invoice numbers are never reused)")
            try store.setAccount(tenant: "acme-health", prefix: "ACMEHEALTH")  // repeating it is fine
            #expect(refusal { try store.setAccount(tenant: "ghost", region: "DE") }
                == "tenant ghost has no billing account: create a subscription first")
        }
    }

    /// Migration 6's callers keep working: `set_subscription` (named parameters as documented)
    /// opens an account with a free prefix and carries the cycle and trial end forward;
    /// `PlanStore.load` reads both new columns.
    @Test func oldSetSubscriptionCarriesCycleAndTrialAndPlanStoreReadsThem() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let now = try store.now()
            try store.create(tenant: "acme", plan: "starter", cycle: .annual, seats: 4, trialDays: 14, at: now - Self.day)
            try connection.execute("SELECT meterd.set_subscription('acme', 'professional', p_at => to_timestamp($1::bigint))",
                                   parameters: [String(now)])
            let loaded = try #require(try PlanStore(connection: connection).load().subscriptions["acme"])
            #expect(loaded.map(\.planID) == ["professional"])
            #expect(loaded.first?.cycle == .annual && loaded.first?.seats == 4 && loaded.first?.trialEndsAt == now + 13 * Self.day)
            #expect(try store.events(tenant: "acme").last?.kind == .upgraded)

            try connection.execute("SELECT meterd.set_subscription('t1', 'starter', p_seats => 12)")
            try connection.execute("SELECT meterd.set_subscription('T1', 'starter')")
            try connection.execute("SELECT meterd.set_subscription('-', 'starter')")
            #expect(try store.account(tenant: "t1")?.invoicePrefix == "T1")
            #expect(try store.account(tenant: "T1")?.invoicePrefix == "T12")
            #expect(try store.account(tenant: "-")?.invoicePrefix == "00")
            try connection.execute("SELECT meterd.set_subscription('northwind.traders', 'starter')")
            try connection.execute("SELECT meterd.set_subscription('northwind-traders-eu', 'starter')")
            #expect(try store.account(tenant: "northwind.traders")?.invoicePrefix == "NORTHWINDTRA")
            #expect(try store.account(tenant: "northwind-traders-eu")?.invoicePrefix == "NORTHWINDTR2")
            #expect(try store.account(tenant: "t1")?.status == .active)
            #expect(try PlanStore(connection: connection).endSubscription(tenant: "t1"))
            #expect(try store.account(tenant: "t1")?.status == .canceled)
            #expect(try store.events(tenant: "t1").map(\.kind) == [.created, .canceled])
        }
    }

    /// A database subscribed before migration 9 gets an account per tenant (active while a row
    /// is in force, else canceled) and monthly rows without trials.
    @Test func migrationNineBackfillsAccountsForExistingSubscriptions() throws {
        let url = try #require(SubscriptionTestDatabase.url)
        let name = "meterd_billing_backfill_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(connectionString: url)
        try admin.execute("CREATE DATABASE \(name)")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        let connection = try PostgresConnection(connectionString: url, overrides: [("dbname", name)])
        try Migrations.apply(on: connection, migrations: Migrations.all.filter { $0.version < 9 })
        try PlanStore(connection: connection).seed(SubscriptionTestDatabase.catalog)
        try connection.execute("SELECT meterd.set_subscription('acme', 'starter', p_seats => 3)")
        try connection.execute("SELECT meterd.set_subscription('ACME', 'starter')")
        try connection.execute("SELECT meterd.set_subscription('gone', 'starter', p_at => '2026-01-01 00:00:00+00')")
        try connection.execute("SELECT meterd.end_subscription('gone', '2026-02-01 00:00:00+00')")

        #expect(try Migrations.apply(on: connection).contains(9))
        let store = SubscriptionStore(connection: connection)
        #expect(try store.account(tenant: "ACME")?.invoicePrefix == "ACME" && store.account(tenant: "ACME")?.status == .active)
        #expect(try store.account(tenant: "acme")?.invoicePrefix == "ACME2")
        #expect(try store.account(tenant: "gone")?.status == .canceled)
        #expect(try store.rows(tenant: "acme").map(\.subscription.cycle) == [.monthly])
        #expect(try store.rows(tenant: "acme").map(\.subscription.trialEndsAt) == [nil])
        #expect(try store.events(tenant: "acme").isEmpty)
        // The lifecycle works on them from here.
        try store.change(tenant: "acme", plan: "professional")
        try store.transition(tenant: "acme", to: .pastDue)
        #expect(try store.events(tenant: "acme").map(\.kind) == [.upgraded, .pastDue])
    }

    /// Two billing runs applying due transitions at once record each trial end exactly once.
    @Test func concurrentRunsRecordEachDueTransitionOnce() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let start = utc(2026, 1, 1)
            let tenants = 200
            try connection.execute("""
                SELECT count(meterd.create_subscription('tenant-' || k, 'starter', p_trial_days => 14,
                                                        p_at => to_timestamp($1::bigint)))
                FROM generate_series(1, $2::integer) AS k
                """, parameters: [String(start), String(tenants)])
            let database = try #require(try connection.execute("SELECT current_database()").rows.first?[0] ?? nil)
            let url = try #require(SubscriptionTestDatabase.url)
            let recorded = Atomic<Int>(0), failures = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                do {
                    let mine = try PostgresConnection(connectionString: url, overrides: [("dbname", database)])
                    let count = try SubscriptionStore(connection: mine).applyDueTransitions(now: start + 14 * Self.day)
                    recorded.add(count, ordering: .relaxed)
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
            #expect(failures.load(ordering: .relaxed) == 0)
            #expect(recorded.load(ordering: .relaxed) == tenants)
            #expect(try connection.execute("SELECT count(*) FROM meterd.subscription_events WHERE event = 'activated'").rows.first?[0]
                == String(tenants))
            #expect(try store.account(tenant: "tenant-7")?.status == .active)
        }
    }

    /// One tenant's whole life: every transition and change is in the log, ordered by instant.
    @Test func eventLogIsCompleteAndOrdered() throws {
        try SubscriptionTestDatabase.withStore { connection in
            let store = SubscriptionStore(connection: connection)
            let start = utc(2026, 1, 31, 9)
            try store.create(tenant: "acme", plan: "starter", trialDays: 14, at: start)
            try store.change(tenant: "acme", plan: "professional", at: utc(2026, 2, 20))  // trial ended Feb 14: recorded later
            try store.transition(tenant: "acme", to: .pastDue, at: utc(2026, 3, 5))
            try store.transition(tenant: "acme", to: .active, at: utc(2026, 3, 8))
            try store.change(tenant: "acme", seats: 3, at: utc(2026, 3, 9))
            try store.change(tenant: "acme", cycle: .annual, atPeriodEnd: true, at: utc(2026, 3, 10))
            try store.cancel(tenant: "acme", at: utc(2026, 5, 1))
            try store.create(tenant: "acme", plan: "starter", trialDays: 30, at: utc(2026, 6, 1))
            try store.applyDueTransitions(now: utc(2026, 7, 1))

            let events = try store.events(tenant: "acme")
            #expect(events.map(\.kind) == [.created, .activated, .upgraded, .pastDue, .activated, .upgraded, .downgraded, .canceled,
                                           .created, .activated])
            #expect(events.map { CivilTime(unixSeconds: $0.occurredAt).description } == [
                "2026-01-31T09:00:00Z", "2026-02-14T09:00:00Z", "2026-02-20T00:00:00Z", "2026-03-05T00:00:00Z",
                "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", "2026-03-31T09:00:00Z", "2026-05-01T00:00:00Z",
                "2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"])
            #expect(events.map(\.occurredAt) == events.map(\.occurredAt).sorted())
            #expect(events.compactMap(\.toStatus) == [.trialing, .active, .pastDue, .active, .canceled, .trialing, .active])
            #expect(try store.rows(tenant: "acme").count == 5)
        }
    }
}
