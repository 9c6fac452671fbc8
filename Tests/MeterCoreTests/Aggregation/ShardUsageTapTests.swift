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
