import MeterAlerts
import MeterCore
import MeterPlans
@testable import MeterQuota
import Synchronization
import Testing

/// The tracker: seeded usage plus live deltas, levels reached once each, entitlement answers.
@Suite struct QuotaTrackerTests {
    // Anchor 2026-11-01T00:00:00Z; "now" 2026-11-16T00:00:00Z, half-way through the period.
    static let anchor: Int64 = 1_793_491_200
    static let now: Int64 = 1_794_787_200
    static let hour: Int64 = 1_794_783_600  // the hour before now

    final class Sink: Sendable {
        let alerts = Mutex<[[ThresholdAlert]]>([])
        var flat: [ThresholdAlert] { alerts.withLock { $0.flatMap { $0 } } }
    }

    static func book(plan: String = "starter", included: Allowance = .limited(whole(1000)),
                     overage: Money? = Money("0.05")) -> PlanBookSnapshot {
        let plan = Plan(id: plan, name: plan, pricing: .list(monthly: Money("299")!, annual: Money("2990")!),
                        metrics: ["ai_interactions": MetricTerms(included: included, overagePrice: overage)])
        return PlanBookSnapshot(catalog: PlanCatalog(currency: "USD", plans: [plan]), subscriptions: [
            Subscription(tenant: "acme", planID: plan.id, billingAnchor: anchor, seats: 1, startedAt: anchor),
        ])
    }

    static func tracker(_ sink: Sink, now: Int64 = now) -> QuotaTracker {
        QuotaTracker(onAlerts: { alerts in sink.alerts.withLock { $0.append(alerts) } }, now: { now * 1000 })
    }

    static func delta(_ units: Int64, epoch: UInt64, hour: Int64 = hour, tenant: String = "acme") -> ShardUsageTap.Delta {
        .init(tenant: tenant, metric: "ai_interactions", type: .counter, epoch: epoch, hourStart: hour,
              sum: QuantitySum(units: Int128(units)), maximum: .min, events: 1)
    }

    static func row(_ amount: Int64, hour: Int64 = hour) -> QuotaTracker.SeedRow {
        .init(metric: "ai_interactions", type: .counter, hourStart: hour, sum: QuantitySum(whole(amount)),
              maximum: nil, events: 1)
    }

    @Test func levelsFireOnceEachAfterSeedingHighestTogether() throws {
        let sink = Sink()
        let tracker = Self.tracker(sink)
        let requests = tracker.update(book: Self.book())
        let request = try #require(requests.first)
        #expect(requests.count == 1 && request.from == Self.anchor)
        // Counted live before the seeding answered: kept, evaluated once seeded.
        tracker.receive([Self.delta(whole(100).units, epoch: request.epoch)])
        #expect(sink.flat.isEmpty)
        tracker.seeded(request, rows: [Self.row(650)])  // 750 of 1000
        #expect(sink.flat.isEmpty)
        tracker.receive([Self.delta(whole(50).units, epoch: request.epoch)])  // 800: 80%
        #expect(sink.flat.map(\.level) == [.warning80])
        tracker.receive([Self.delta(whole(10).units, epoch: request.epoch)])
        #expect(sink.flat.count == 1)
        tracker.receive([Self.delta(whole(300).units, epoch: request.epoch)])  // 1110: 90 and 100 at once
        #expect(sink.alerts.withLock { $0.last?.map(\.level) } == [.warning90, .exhausted100])
        let last = try #require(sink.flat.last)
        #expect(last.used == whole(1110) && last.quota == whole(1000))
        #expect(last.periodStart == Self.anchor && last.periodEnd == 1_796_083_200)
    }

    @Test func deltasOfAnOldEpochOrBeforeThePeriodAreDropped() throws {
        let sink = Sink()
        let tracker = Self.tracker(sink)
        let request = try #require(tracker.update(book: Self.book()).first)
        let retry = try #require(tracker.retry(request))
        #expect(retry.epoch != request.epoch)
        tracker.receive([Self.delta(whole(900).units, epoch: request.epoch)])
        tracker.receive([Self.delta(whole(900).units, epoch: retry.epoch, hour: Self.anchor - 3600)])
        tracker.seeded(request, rows: [Self.row(5000)])  // an answer for the replaced epoch
        tracker.seeded(retry, rows: [Self.row(10)])
        guard case .answer(let answer) = tracker.entitlement(tenant: "acme", metric: "ai_interactions") else {
            Issue.record("no answer")
            return
        }
        #expect(answer.used == QuantitySum(whole(10)))
        #expect(sink.flat.isEmpty)
    }

    @Test func aPlanUpgradeReArmsTheLevels() throws {
        let sink = Sink()
        let tracker = Self.tracker(sink)
        let request = try #require(tracker.update(book: Self.book()).first)
        tracker.seeded(request, rows: [Self.row(850)])
        #expect(sink.flat.map(\.level) == [.warning80])
        // Same anchor, bigger quota: no new seeding, usage kept, levels of the new quota.
        #expect(tracker.update(book: Self.book(plan: "professional", included: .limited(whole(900)))).isEmpty)
        #expect(sink.flat.map(\.level) == [.warning80, .warning80, .warning90])  // 850 of 900: 94%
        #expect(Set(sink.flat.map(\.id)).count == 3)
    }

    @Test func entitlementAnswersUsedLimitRemainingAllowed() throws {
        let sink = Sink()
        let tracker = Self.tracker(sink)
        #expect(tracker.entitlement(tenant: "acme", metric: "ai_interactions") == .noSubscription)
        let request = try #require(tracker.update(book: Self.book(overage: nil)).first)
        #expect(tracker.entitlement(tenant: "acme", metric: "ai_interactions") == .seeding)
        tracker.seeded(request, rows: [Self.row(400), Self.row(200, hour: Self.anchor)])
        guard case .answer(let answer) = tracker.entitlement(tenant: "acme", metric: "ai_interactions") else {
            Issue.record("no answer")
            return
        }
        #expect(answer.used == QuantitySum(whole(600)))
        #expect(answer.limit == whole(1000))
        #expect(answer.remaining == QuantitySum(whole(400)))
        #expect(answer.allowed && answer.withinQuota && answer.reason == "within_quota")
        // Linear: 600 in 15 days, 15 days left → 1200; 200 over a hard cap, no price.
        #expect(answer.forecast.projected == QuantitySum(whole(1200)))
        #expect(answer.forecast.projectedOverage == QuantitySum(whole(200)))
        #expect(answer.forecast.projectedOverageCost == nil)
        tracker.receive([Self.delta(whole(400).units, epoch: request.epoch)])
        guard case .answer(let full) = tracker.entitlement(tenant: "acme", metric: "ai_interactions") else { return }
        #expect(!full.allowed && full.reason == "quota_exhausted" && full.remaining == .zero)
        guard case .answer(let other) = tracker.entitlement(tenant: "acme", metric: "sms_messages") else { return }
        #expect(!other.allowed && !other.inPlan && other.reason == "not_in_plan")
        #expect(full.json().contains("\"used\":\"1000\",\"limit\":\"1000\""))
        #expect(tracker.entitlement(tenant: "acme", metric: "ai_interactions").line(tenant: "acme", metric: "ai_interactions")
            .hasPrefix("#checked acme ai_interactions allowed=no reason=quota_exhausted used=1000 limit=1000 remaining=0 plan=starter"))
    }

    @Test func usageWindowsFollowTheAnchorsHour() {
        // Anchor at 09:30: the hour 09:00 belongs to the period starting at 09:30 that day.
        let anchor: Int64 = 1_793_525_400  // 2026-11-01T09:30:00Z
        let window = UsageWindow.containing(hour: 1_793_523_600, anchor: anchor)
        #expect(window?.start == 1_793_523_600 && window?.period.start == anchor)
        #expect(UsageWindow.containing(hour: 1_793_520_000, anchor: anchor) == nil)
    }

    @Test func levelsAreExact() {
        let quota = whole(1000)
        #expect(ThresholdLevels.reached(used: QuantitySum(units: 799_999_999), quota: quota).isEmpty)
        #expect(ThresholdLevels.reached(used: QuantitySum(units: 800_000_000), quota: quota) == [.warning80])
        #expect(ThresholdLevels.reached(used: QuantitySum(whole(2000)), quota: quota) == [.warning80, .warning90, .exhausted100])
        #expect(ThresholdLevels.reached(used: QuantitySum(units: 1), quota: .zero) == [.warning80, .warning90, .exhausted100])
        #expect(ThresholdLevels.reached(used: .zero, quota: .zero).isEmpty)
    }
}

/// `value` whole units as a `Quantity`.
func whole(_ value: Int64) -> Quantity { Quantity(units: value * Quantity.unitsPerWhole) }
