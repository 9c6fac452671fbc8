import MeterCore
import Testing
import MeterPlans

@Suite struct EntitlementTests {
    let catalog = PlanCatalog(currency: "USD", plans: [
        Plan(id: "starter", name: "Starter", pricing: .list(monthly: Money("299")!, annual: Money("2990")!),
             metrics: ["ai_interactions": MetricTerms(included: .limited(Quantity("1000")!), overagePrice: Money("0.05"))]),
        Plan(id: "enterprise", name: "Enterprise", pricing: .contract, metrics: ["ai_interactions": MetricTerms(included: .unlimited)],
             features: ["ambient_scribe"]),
    ])
    let jan31 = CivilTime(year: 2026, month: 1, day: 31).unixSeconds
    let mar10 = CivilTime(year: 2026, month: 3, day: 10).unixSeconds

    @Test func aPlanChangeMidPeriodKeepsTheAnchorsPeriod() throws {
        let snapshot = PlanBookSnapshot(catalog: catalog, subscriptions: [
            Subscription(tenant: "acme", planID: "starter", billingAnchor: jan31, seats: 3, startedAt: jan31, endedAt: mar10),
            Subscription(tenant: "acme", planID: "enterprise", billingAnchor: jan31, seats: 3, startedAt: mar10),
        ])
        guard case .quota(let before) = snapshot.entitlement(tenant: "acme", metric: "ai_interactions", at: mar10 - 1) else {
            Issue.record("expected a quota")
            return
        }
        #expect(before.plan == "starter" && before.terms.included == .limited(Quantity("1000")!))
        #expect(before.period.start == CivilTime(year: 2026, month: 2, day: 28).unixSeconds)
        guard case .quota(let after) = snapshot.entitlement(tenant: "acme", metric: "ai_interactions", at: mar10) else {
            Issue.record("expected a quota")
            return
        }
        #expect(after.plan == "enterprise" && after.terms.included == .unlimited && after.period == before.period)
        #expect(!snapshot.hasFeature("ambient_scribe", tenant: "acme", at: mar10 - 1))
        #expect(snapshot.hasFeature("ambient_scribe", tenant: "acme", at: mar10))
        #expect(!snapshot.hasFeature("ambient_scribe", tenant: "nobody", at: mar10))
        #expect(snapshot.subscribedTenantCount(at: mar10) == 1)
    }

    @Test func answersWithoutAQuota() {
        let snapshot = PlanBookSnapshot(catalog: catalog, subscriptions: [
            Subscription(tenant: "acme", planID: "starter", billingAnchor: jan31, seats: 1, startedAt: jan31),
            Subscription(tenant: "gone", planID: "retired", billingAnchor: jan31, seats: 1, startedAt: jan31),
            Subscription(tenant: "later", planID: "starter", billingAnchor: mar10, seats: 1, startedAt: jan31),
        ])
        #expect(snapshot.entitlement(tenant: "nobody", metric: "ai_interactions", at: mar10) == .noSubscription)
        #expect(snapshot.entitlement(tenant: "acme", metric: "sms_messages", at: mar10)
            == .notInPlan(plan: "starter", period: BillingPeriod.containing(mar10, anchor: jan31)!))
        #expect(snapshot.entitlement(tenant: "gone", metric: "ai_interactions", at: mar10) == .unknownPlan("retired"))
        if case .beforeAnchor = snapshot.entitlement(tenant: "later", metric: "ai_interactions", at: mar10 - 1) {} else {
            Issue.record("expected beforeAnchor")
        }
        #expect(snapshot.entitlement(tenant: "acme", metric: "ai_interactions", at: jan31 - 1) == .noSubscription)
    }

    @Test func planBookSwapsSnapshots() {
        let book = PlanBook()
        #expect(book.snapshot.catalog.plans.isEmpty)
        book.replaceCatalog(with: catalog)
        #expect(book.snapshot.catalog.ids == ["enterprise", "starter"])
    }

    @Test func moneyIsExact() {
        #expect(Money("0.05")?.micros == 50_000)
        #expect(Money("-1") == nil)
        #expect(Money("0.0000001") == nil)
        #expect(Money("7990")?.description == "7990")
    }
}
