@testable import MeterCore
import Testing

@Suite struct ShardAggregatorTests {
    // 2026-01-31 10:30:00 UTC: an hour, a day and a month boundary are all near.
    static let t0: Int64 = 1_769_855_400
    static let hasher = ByteHasher(seed: 42)

    static func aggregator(limits: AggregatorLimits = AggregatorLimits(), limiter: CardinalityLimiter? = nil,
                           dedupWindow: Int64 = 86_400) -> ShardAggregator {
        ShardAggregator(limits: limits, hasher: hasher,
                        limiter: limiter ?? CardinalityLimiter(limits: limits, hasher: hasher),
                        dedupWindowSeconds: dedupWindow, dedupMaxEntries: 10_000)
    }

    static func feed(_ aggregator: ShardAggregator, _ events: [TestEvent]) -> [AggregateOutcome] {
        events.map { event in
            let batch = RecordBatch(capacity: 4096)
            event.append(to: batch, hasher: hasher)
            var outcome = AggregateOutcome.accepted
            batch.forEachRecord { outcome = aggregator.aggregate(record: $0) }
            return outcome
        }
    }

    static func flush(_ aggregator: ShardAggregator, now: Int64) -> RollupTotals {
        var deltas: [RollupDelta] = []
        aggregator.collectDeltas(now: now, into: &deltas)
        var totals = RollupTotals()
        totals.apply(deltas)
        return totals
    }

    static func row(_ totals: RollupTotals, _ event: TestEvent, _ grain: Grain, _ start: Int64) -> RollupValue? {
        totals.rows[RollupKey(seriesKey: event.seriesKey(hasher: hasher), grain: grain, bucketStart: start)]
    }

    func counter(_ tenant: String = "acme", metric: String = "ai.tokens", value: Int64 = 1_000_000,
                 id: String? = nil, dims: [(String, String)] = [], at time: Int64 = t0) -> TestEvent {
        TestEvent(tenant: tenant, metric: metric, type: .counter, value: value, id: id, dimensions: dims,
                  timestamp: time, receivedAt: time)
    }

    @Test func countersSumIntoEveryGrain() {
        let aggregator = Self.aggregator()
        _ = Self.feed(aggregator, [counter(value: 1_500_000), counter(value: 2_250_000), counter(value: 1, at: Self.t0 + 3_600)])
        let totals = Self.flush(aggregator, now: Self.t0 + 3_600)
        let event = counter()
        #expect(Self.row(totals, event, .hour, 1_769_853_600)?.sum == QuantitySum(units: 3_750_000))
        #expect(Self.row(totals, event, .hour, 1_769_853_600)?.events == 2)
        #expect(Self.row(totals, event, .hour, 1_769_857_200)?.sum == QuantitySum(units: 1))
        #expect(Self.row(totals, event, .day, 1_769_817_600)?.sum == QuantitySum(units: 3_750_001))
        #expect(Self.row(totals, event, .month, 1_767_225_600)?.events == 3)
    }

    @Test func secondFlushWithoutEventsEmitsNothing() {
        let aggregator = Self.aggregator()
        _ = Self.feed(aggregator, [counter()])
        var deltas: [RollupDelta] = []
        aggregator.collectDeltas(now: Self.t0, into: &deltas)
        #expect(deltas.count == 3)
        deltas.removeAll()
        aggregator.collectDeltas(now: Self.t0 + 1, into: &deltas)
        #expect(deltas.isEmpty)
    }

    @Test func duplicateIDsAreCountedOnce() {
        let aggregator = Self.aggregator()
        let outcomes = Self.feed(aggregator, [
            counter(id: "req-1"), counter(id: "req-1"), counter(metric: "ai.tokens_out", id: "req-1"), counter(id: "req-2"),
        ])
        #expect(outcomes == [.accepted, .duplicate, .accepted, .accepted])
        let totals = Self.flush(aggregator, now: Self.t0)
        #expect(Self.row(totals, counter(), .hour, 1_769_853_600)?.events == 2)
    }

    @Test func refusedEventsDoNotConsumeTheirID() {
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 1
        let aggregator = Self.aggregator(limits: limits)
        let outcomes = Self.feed(aggregator, [
            counter(metric: "a"), counter(metric: "b", id: "req-9"), counter(metric: "a", id: "req-9"),
        ])
        #expect(outcomes == [.accepted, .refused(.tenantSeriesLimit), .accepted])
    }

    @Test func seriesLimitsAreSharedAcrossShards() {
        var limits = AggregatorLimits()
        limits.maxSeries = 4
        limits.maxSeriesPerTenant = 2
        let limiter = CardinalityLimiter(limits: limits, hasher: Self.hasher)
        let first = Self.aggregator(limits: limits, limiter: limiter)
        let second = Self.aggregator(limits: limits, limiter: limiter)
        #expect(Self.feed(first, [counter("a", metric: "m1"), counter("b", metric: "m1")]) == [.accepted, .accepted])
        #expect(Self.feed(second, [counter("a", metric: "m2"), counter("a", metric: "m3")])
            == [.accepted, .refused(.tenantSeriesLimit)])
        #expect(Self.feed(second, [counter("c", metric: "m1"), counter("d", metric: "m1")])
            == [.accepted, .refused(.seriesLimit)])
        // Known series keep counting at the limit.
        #expect(Self.feed(first, [counter("a", metric: "m1")]) == [.accepted])
        #expect(limiter.totalSeries == 4)
        #expect(limiter.seriesCount(tenant: "a") == 2)
    }

    @Test func updatedLimitsApplyToNewSeriesAndNeverEvictLiveOnes() {
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 3
        let limiter = CardinalityLimiter(limits: limits, hasher: Self.hasher)
        let aggregator = Self.aggregator(limits: limits, limiter: limiter)
        #expect(Self.feed(aggregator, [counter(metric: "m1"), counter(metric: "m2")]) == [.accepted, .accepted])

        var lower = limiter.limits
        lower.maxSeriesPerTenant = 1
        limiter.update(lower)
        // Both live series keep counting; a third is refused under the new limit.
        #expect(Self.feed(aggregator, [counter(metric: "m1"), counter(metric: "m2"), counter(metric: "m3")])
            == [.accepted, .accepted, .refused(.tenantSeriesLimit)])

        var higher = lower
        higher.maxSeriesPerTenant = 5
        higher.maxValuesPerDimension = 1
        limiter.update(higher)
        #expect(limiter.limits == higher)
        #expect(Self.feed(aggregator, [counter(metric: "m3"), counter(metric: "m4", dims: [("model", "a")]),
                                       counter(metric: "m5", dims: [("model", "b")])])
            == [.accepted, .accepted, .refused(.dimensionValueLimit)])
    }

    @Test func dimensionValuesAreLimitedPerTenant() {
        var limits = AggregatorLimits()
        limits.maxValuesPerDimension = 2
        let aggregator = Self.aggregator(limits: limits)
        let outcomes = Self.feed(aggregator, [
            counter(dims: [("model", "a")]), counter(dims: [("model", "b")]), counter(dims: [("model", "c")]),
            counter(metric: "other", dims: [("model", "a")]), counter("globex", dims: [("model", "c")]),
        ])
        #expect(outcomes == [.accepted, .accepted, .refused(.dimensionValueLimit), .accepted, .accepted])
    }

    @Test func idleSeriesAreForgottenAndReleaseTheirPlace() {
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 1
        let aggregator = Self.aggregator(limits: limits)
        #expect(Self.feed(aggregator, [counter(metric: "a")]) == [.accepted])
        let later = Self.t0 + limits.seriesIdleSeconds + 40 * 86_400
        _ = Self.flush(aggregator, now: Self.t0)
        _ = Self.flush(aggregator, now: later)
        #expect(aggregator.seriesCount == 0)
        #expect(Self.feed(aggregator, [counter(metric: "b", at: later)]) == [.accepted])
    }

    @Test func setsCountDistinctMembersPerBucket() {
        let aggregator = Self.aggregator()
        func seat(_ member: String, _ time: Int64) -> TestEvent {
            TestEvent(tenant: "acme", metric: "providers.active", type: .set, member: member, timestamp: time, receivedAt: time)
        }
        // Two days of the same month: p1 on both, p2 on the first, p3 on the second.
        let day1 = Self.t0 - 86_400
        let day2 = Self.t0
        _ = Self.feed(aggregator, [seat("p1", day1), seat("p2", day1), seat("p1", day1), seat("p1", day2), seat("p3", day2)])
        let totals = Self.flush(aggregator, now: day2)
        let event = seat("x", day2)
        #expect(Self.row(totals, event, .day, Grain.day.bucketStart(containing: day1))?.unique == 2)
        #expect(Self.row(totals, event, .day, Grain.day.bucketStart(containing: day2))?.unique == 2)
        #expect(Self.row(totals, event, .month, Grain.month.bucketStart(containing: day2))?.unique == 3)
        #expect(Self.row(totals, event, .month, Grain.month.bucketStart(containing: day2))?.events == 5)
    }

    @Test func setMemberLimitRefusesNewMembersOnly() {
        var limits = AggregatorLimits()
        limits.maxSetMembersPerBucket = 2
        let aggregator = Self.aggregator(limits: limits)
        func seat(_ member: String) -> TestEvent {
            TestEvent(tenant: "acme", metric: "seats", type: .set, member: member, timestamp: Self.t0, receivedAt: Self.t0)
        }
        #expect(Self.feed(aggregator, [seat("a"), seat("b"), seat("c"), seat("a")])
            == [.accepted, .accepted, .refused(.setMemberLimit), .accepted])
    }

    @Test func gaugeIntegralCarriesTheValueUntilTheNextSample() {
        let aggregator = Self.aggregator()
        func storage(_ gigabytes: Int64, _ time: Int64) -> TestEvent {
            TestEvent(tenant: "acme", metric: "storage.gb", type: .gauge, value: gigabytes * 1_000_000,
                      timestamp: time, receivedAt: time)
        }
        // 5 GB at 10:30, 7 GB at 12:15, 4 GB at 12:45 on 2026-01-31.
        let hour10 = Self.t0 - 1_800
        _ = Self.feed(aggregator, [storage(5, Self.t0), storage(7, Self.t0 + 6_300), storage(4, Self.t0 + 8_100)])
        let totals = Self.flush(aggregator, now: Self.t0 + 8_100)
        let event = storage(0, Self.t0)
        #expect(Self.row(totals, event, .hour, hour10)?.integral == QuantitySum(units: 5_000_000 * 1_800))
        #expect(Self.row(totals, event, .hour, hour10 + 3_600)?.integral == QuantitySum(units: 5_000_000 * 3_600))
        #expect(Self.row(totals, event, .hour, hour10 + 7_200)?.integral == QuantitySum(units: 5_000_000 * 900 + 7_000_000 * 1_800))
        let day = Self.row(totals, event, .day, Grain.day.bucketStart(containing: Self.t0))
        #expect(day?.integral == QuantitySum(units: 5_000_000 * 6_300 + 7_000_000 * 1_800))
        #expect(day?.minimum == Quantity(units: 4_000_000))
        #expect(day?.maximum == Quantity(units: 7_000_000))
        #expect(day?.latest == Quantity(units: 4_000_000))
    }

    @Test func gaugeTailIsClosedOnceNoSampleCanCutItShort() {
        var limits = AggregatorLimits()
        limits.gaugeMaxCarrySeconds = 3_600
        let aggregator = Self.aggregator(limits: limits)
        let event = TestEvent(tenant: "acme", metric: "storage.gb", type: .gauge, value: 2_000_000,
                              timestamp: Self.t0, receivedAt: Self.t0)
        _ = Self.feed(aggregator, [event])
        let early = Self.flush(aggregator, now: Self.t0 + 7_200)
        #expect(Self.row(early, event, .day, Grain.day.bucketStart(containing: Self.t0))?.integral == .zero)
        let closed = Self.flush(aggregator, now: Self.t0 + 3_600 + limits.maxLatenessSeconds + ShardAggregator.retirementMarginSeconds)
        // 10:30 to 11:30 at 2: half in hour 10, half in hour 11, all in the day.
        #expect(Self.row(closed, event, .hour, Self.t0 - 1_800)?.integral == QuantitySum(units: 2_000_000 * 1_800))
        #expect(Self.row(closed, event, .hour, Self.t0 + 1_800)?.integral == QuantitySum(units: 2_000_000 * 1_800))
        #expect(Self.row(closed, event, .day, Grain.day.bucketStart(containing: Self.t0))?.integral == QuantitySum(units: 2_000_000 * 3_600))
    }

    @Test func overflowingSumIsRefusedWithoutChangingAnything() {
        let aggregator = Self.aggregator()
        #expect(Self.feed(aggregator, [counter(value: 1)]) == [.accepted])
        for bucket in aggregator.series[0].buckets.indices where aggregator.series[0].buckets[bucket].grain == .month {
            aggregator.series[0].buckets[bucket].total = QuantitySum(units: .max - 5)
        }
        #expect(Self.feed(aggregator, [counter(value: 10)]) == [.refused(.quantityOverflow)])
        let hour = aggregator.series[0].buckets.first { $0.grain == .hour }
        #expect(hour?.total == QuantitySum(units: 1))
        #expect(hour?.events == 1)
    }
}
