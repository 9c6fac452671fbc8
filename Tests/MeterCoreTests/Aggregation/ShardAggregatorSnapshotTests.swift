@testable import MeterCore
import Testing

/// `peekDeltas`: the un-collected state a usage query adds to what storage holds.
@Suite struct ShardAggregatorSnapshotTests {
    typealias Base = ShardAggregatorTests
    static let t0 = ShardAggregatorTests.t0

    static func event(_ tenant: String, _ type: MetricType, value: Int64 = 1_000_000, member: String = "",
                      at time: Int64 = t0) -> TestEvent {
        TestEvent(tenant: tenant, metric: "m.\(type)", type: type, value: value, member: member,
                  timestamp: time, receivedAt: time)
    }

    static func tenant(of key: [UInt8]) -> String? {
        key.withUnsafeBytes { SeriesKey.decode($0)?.tenant }
    }

    @Test func peekEqualsTheNextCollectAndChangesNothing() {
        let aggregator = Base.aggregator()
        _ = Base.feed(aggregator, [
            Self.event("a", .counter), Self.event("a", .counter, value: 2_500_000, at: Self.t0 + 3_600),
            Self.event("a", .gauge, value: 5_000_000), Self.event("a", .gauge, value: 7_000_000, at: Self.t0 + 60),
            Self.event("a", .set, member: "u1"), Self.event("a", .set, member: "u2"), Self.event("a", .set, member: "u1"),
        ])
        var first: [RollupDelta] = [], second: [RollupDelta] = [], collected: [RollupDelta] = []
        aggregator.peekDeltas(where: { _ in true }, into: &first)
        aggregator.peekDeltas(where: { _ in true }, into: &second)
        aggregator.collectDeltas(now: Self.t0 + 3_600, into: &collected)
        #expect(!first.isEmpty)
        #expect(first == second)
        #expect(Set(first) == Set(collected))
    }

    @Test func afterACollectOnlyNewEventsArePeeked() {
        let aggregator = Base.aggregator()
        _ = Base.feed(aggregator, [Self.event("a", .counter), Self.event("a", .set, member: "u1")])
        var collected: [RollupDelta] = []
        aggregator.collectDeltas(now: Self.t0, into: &collected)
        var peeked: [RollupDelta] = []
        aggregator.peekDeltas(where: { _ in true }, into: &peeked)
        #expect(peeked.isEmpty)

        _ = Base.feed(aggregator, [Self.event("a", .counter, value: 3_000_000), Self.event("a", .set, member: "u1"),
                                   Self.event("a", .set, member: "u2")])
        aggregator.peekDeltas(where: { _ in true }, into: &peeked)
        var totals = RollupTotals()
        totals.apply(peeked)
        let counterKey = Self.event("a", .counter).seriesKey(hasher: Base.hasher)
        let setKey = Self.event("a", .set).seriesKey(hasher: Base.hasher)
        #expect(totals.rows[RollupKey(seriesKey: counterKey, grain: .hour, bucketStart: 1_769_853_600)]?.sum == QuantitySum(units: 3_000_000))
        #expect(totals.rows[RollupKey(seriesKey: counterKey, grain: .hour, bucketStart: 1_769_853_600)]?.events == 1)
        // u1 was counted before the collect: only u2 is new to the bucket.
        #expect(totals.rows[RollupKey(seriesKey: setKey, grain: .day, bucketStart: 1_769_817_600)]?.unique == 1)
    }

    @Test func theFilterSelectsSeries() {
        let aggregator = Base.aggregator()
        _ = Base.feed(aggregator, [Self.event("a", .counter), Self.event("b", .counter), Self.event("b", .gauge)])
        var peeked: [RollupDelta] = []
        aggregator.peekDeltas(where: { Self.tenant(of: $0) == "b" }, into: &peeked)
        #expect(peeked.count == 6)  // two series x three grains
        #expect(peeked.allSatisfy { Self.tenant(of: $0.seriesKey) == "b" })
    }
}

@Suite struct SeriesSelectionTests {
    static func key(_ tenant: String, _ metric: String, dims: [(String, String)] = []) -> [UInt8] {
        TestEvent(tenant: tenant, metric: metric, dimensions: dims, timestamp: 0, receivedAt: 0)
            .seriesKey(hasher: ShardAggregatorTests.hasher)
    }

    @Test func matchesTenantAndMetricExactly() {
        let tenant = SeriesSelection(tenant: "acme")
        let metric = SeriesSelection(tenant: "acme", metric: "ai.tokens")
        #expect(tenant.matches(Self.key("acme", "ai.tokens")))
        #expect(tenant.matches(Self.key("acme", "seats", dims: [("model", "x")])))
        #expect(!tenant.matches(Self.key("acme2", "ai.tokens")))
        #expect(!tenant.matches(Self.key("acm", "eai.tokens")))  // same bytes, other split
        #expect(metric.matches(Self.key("acme", "ai.tokens", dims: [("model", "x")])))
        #expect(!metric.matches(Self.key("acme", "ai.tokens_out")))
        #expect(!metric.matches(Self.key("acme", "ai.token")))
        #expect(!metric.matches(Self.key("other", "ai.tokens")))
        #expect(!tenant.matches([1, 2, 3]))
    }
}
