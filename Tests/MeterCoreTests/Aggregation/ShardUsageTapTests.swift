@testable import MeterCore
import Testing

/// The usage tap counts accepted counter and gauge events of the tenants it counts, per hour,
/// under the epoch in force when they were aggregated.
@Suite struct ShardUsageTapTests {
    typealias Fixture = ShardAggregatorTests
    static let hour: Int64 = 1_769_853_600  // the hour of Fixture.t0

    func counter(_ tenant: String, _ value: Int64, dims: [(String, String)] = [], at time: Int64 = Fixture.t0,
                 id: String? = nil) -> TestEvent {
        TestEvent(tenant: tenant, metric: "ai.calls", type: .counter, value: value, id: id, dimensions: dims,
                  timestamp: time, receivedAt: Fixture.t0)
    }

    @Test func countsOnlyTenantsWithAnEpochSummedOverDimensionsPerHour() {
        let aggregator = Fixture.aggregator()
        let tap = ShardUsageTap()
        aggregator.attach(tap: tap)
        tap.setEpoch(7, tenant: "acme")
        _ = Fixture.feed(aggregator, [
            counter("acme", 1_500_000, dims: [("model", "a")]), counter("acme", 2_000_000, dims: [("model", "b")]),
            counter("other", 9_000_000), counter("acme", 1, at: Fixture.t0 + 3600),
        ])
        let deltas = tap.take().sorted { $0.hourStart < $1.hourStart }
        #expect(deltas == [
            .init(tenant: "acme", metric: "ai.calls", type: .counter, epoch: 7, hourStart: Self.hour,
                  sum: QuantitySum(units: 3_500_000), maximum: .min, events: 2),
            .init(tenant: "acme", metric: "ai.calls", type: .counter, epoch: 7, hourStart: Self.hour + 3600,
                  sum: QuantitySum(units: 1), maximum: .min, events: 1),
        ])
        #expect(tap.take().isEmpty)
    }

    @Test func refusedAndDuplicateEventsAreNotCounted() {
        let aggregator = Fixture.aggregator()
        let tap = ShardUsageTap()
        aggregator.attach(tap: tap)
        tap.setEpoch(1, tenant: "acme")
        let outcomes = Fixture.feed(aggregator, [counter("acme", 5, id: "x"), counter("acme", 5, id: "x")])
        #expect(outcomes == [.accepted, .duplicate])
        #expect(tap.take().map(\.sum) == [QuantitySum(units: 5)])
    }

    @Test func aNewEpochSendsWhatWasCountedUnderTheOldOne() {
        let aggregator = Fixture.aggregator()
        let tap = ShardUsageTap()
        tap.setEpoch(1, tenant: "acme")
        aggregator.attach(tap: tap)
        _ = Fixture.feed(aggregator, [counter("acme", 10)])
        tap.setEpoch(2, tenant: "acme")
        _ = Fixture.feed(aggregator, [counter("acme", 20)])
        let deltas = tap.take()
        #expect(deltas.map(\.epoch) == [1, 2])
        #expect(deltas.map(\.sum) == [QuantitySum(units: 10), QuantitySum(units: 20)])
        tap.setEpoch(0, tenant: "acme")
        _ = Fixture.feed(aggregator, [counter("acme", 30)])
        #expect(tap.take().isEmpty)
    }

    @Test func gaugesReportTheirMaximumAndSeriesCreatedBeforeAttachingAreCounted() {
        let aggregator = Fixture.aggregator()
        let gauge = { (value: Int64) in
            TestEvent(tenant: "acme", metric: "patients", type: .gauge, value: value, id: nil, dimensions: [],
                      timestamp: Fixture.t0, receivedAt: Fixture.t0)
        }
        _ = Fixture.feed(aggregator, [gauge(3_000_000)])
        let tap = ShardUsageTap()
        aggregator.attach(tap: tap)
        tap.setEpoch(4, tenant: "acme")
        _ = Fixture.feed(aggregator, [gauge(7_000_000), gauge(5_000_000)])
        #expect(tap.take() == [.init(tenant: "acme", metric: "patients", type: .gauge, epoch: 4, hourStart: Self.hour,
                                     sum: .zero, maximum: 7_000_000, events: 2)])
    }
}

extension ShardUsageTapTests {
    @Test func compactionKeepsLiveSlotsCountedTenantsAndPendingCounts() {
        let tap = ShardUsageTap()
        let names = (0..<6).map { "t\($0)" }
        let positions = names.map { name in
            Array(name.utf8).withUnsafeBytes { tenant in
                Array("m".utf8).withUnsafeBytes { metric in tap.slot(tenant: tenant, metric: metric, type: .counter) }
            }
        }
        tap.setEpoch(3, tenant: "t1")
        tap.setEpoch(5, tenant: "t4")
        tap.addCounter(slot: positions[1], hourStart: 0, value: QuantitySum(units: 7))
        // Only t1's and t2's series are alive; t4 is counted but has no series now.
        let remap = tap.compact(keeping: [positions[1], positions[2]])
        #expect(tap.slotCount == 2)
        #expect(remap[Int(positions[0])] == -1 && remap[Int(positions[1])] >= 0 && remap[Int(positions[2])] >= 0)
        #expect(tap.epoch(of: "t1") == 3 && tap.epoch(of: "t4") == 5 && tap.epoch(of: "t0") == 0)
        tap.addCounter(slot: remap[Int(positions[1])], hourStart: 0, value: QuantitySum(units: 1))
        let deltas = tap.take()
        #expect(deltas.map(\.sum) == [QuantitySum(units: 7), QuantitySum(units: 1)])
        #expect(deltas.allSatisfy { $0.tenant == "t1" && $0.epoch == 3 })
    }
}

extension ShardUsageTapTests {
    @Test func forgottenSeriesReleaseTheirSlotsAndCountedTenantsStayCounted() {
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 10
        limits.maxSeries = 100_000
        let aggregator = Fixture.aggregator(limits: limits)
        let tap = ShardUsageTap()
        aggregator.attach(tap: tap)
        tap.setEpoch(9, tenant: "keep")
        let churn = (0..<(ShardUsageTap.compactionSlack + 100)).map { counter("c\($0)", 1) }
        _ = Fixture.feed(aggregator, churn + [counter("keep", 1)])
        _ = tap.take()
        #expect(tap.slotCount == churn.count + 1)
        // 40 days on every bucket has retired and every series is idle: forgotten.
        let later = Fixture.t0 + 40 * 86_400
        var deltas: [RollupDelta] = []
        aggregator.collectDeltas(now: later, into: &deltas)
        #expect(aggregator.seriesCount == 0)
        #expect(tap.slotCount == 0)
        _ = Fixture.feed(aggregator, [counter("keep", 5, at: later), counter("c1", 5, at: later)])
        let counted = tap.take()
        #expect(counted.map(\.tenant) == ["keep"] && counted.map(\.epoch) == [9] && counted.map(\.sum) == [QuantitySum(units: 5)])
    }
}
