import Logging
import MeterCore
import Testing
@testable import MeterIngest

/// Usage-query snapshots answered by the real shard threads (docs/queries.md, step 1).
@Suite(.timeLimit(.minutes(2)))
struct ShardSnapshotRequestsTests {
    static func service(flushInterval: Duration, sink: InMemoryRollupSink) -> (MeterEngine, AggregationService) {
        var configuration = EngineConfiguration()
        configuration.shardCount = 3
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
        let service = AggregationService(engine: engine, sink: sink, flushInterval: flushInterval,
                                         stats: AggregateStats(shardCount: 3), flushStats: FlushStats(),
                                         logger: Logger(label: "test"))
        return (engine, service)
    }

    static func send(_ engine: MeterEngine, _ lines: [String]) {
        let worker = engine.makeWorker(policy: .drop)
        for line in lines {
            Array(line.utf8).withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
        }
        worker.publish()
    }

    /// Month totals (events, counter sum) of the deltas or rows of one metric.
    static func month(_ deltas: [RollupDelta], metric: String) -> (events: Int64, sum: String) {
        var totals = RollupTotals()
        totals.apply(deltas)
        return month(totals.rows, metric: metric)
    }

    static func month(_ rows: [RollupKey: RollupValue], metric: String) -> (events: Int64, sum: String) {
        var events: Int64 = 0
        var sum = QuantitySum.zero
        for (key, value) in rows where key.grain == .month
            && key.seriesKey.withUnsafeBytes({ SeriesKey.decode($0)?.metric }) == metric {
            events += value.events
            sum.add(value.sum)
        }
        return (events, sum.description)
    }

    /// Polls snapshots until `done` holds for one (events cross the ring asynchronously); the
    /// suite's time limit bounds the wait (a loaded machine can starve the flush loop for long).
    static func snapshot(_ service: AggregationService, _ selection: SeriesSelection,
                         until done: ([RollupDelta]) -> Bool) async throws -> [RollupDelta] {
        while true {
            let deltas = try #require(await service.snapshots.snapshot(selection))
            if done(deltas) { return deltas }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func aSnapshotHoldsWhatNoFlushCollectedForTheSelectedTenant() async throws {
        let sink = InMemoryRollupSink()
        let (engine, service) = Self.service(flushInterval: .seconds(3_600), sink: sink)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            Self.send(engine, (0..<40).map { "llm.calls:0.25|c|#tenant:a,model:m\($0 % 7)" }
                + (0..<15).map { "llm.calls:1|c|#tenant:b,model:m\($0)" } + ["other:1|c|#tenant:a"])
            let a = try await Self.snapshot(service, SeriesSelection(tenant: "a", metric: "llm.calls")) {
                Self.month($0, metric: "llm.calls").events >= 40
            }
            #expect(Self.month(a, metric: "llm.calls") == (40, "10"))
            #expect(a.allSatisfy { $0.seriesKey.withUnsafeBytes { SeriesKey.decode($0)?.metric } == "llm.calls" })
            let b = try await Self.snapshot(service, SeriesSelection(tenant: "b")) { Self.month($0, metric: "llm.calls").events >= 15 }
            #expect(Self.month(b, metric: "llm.calls") == (15, "15"))
            // Asking again changes nothing: a snapshot collects nothing.
            let again = try #require(await service.snapshots.snapshot(SeriesSelection(tenant: "a", metric: "llm.calls")))
            #expect(Set(again) == Set(a))
            #expect(sink.rows().isEmpty)
            group.cancelAll()
        }
        // The final flush wrote what the snapshots saw, once.
        #expect(Self.month(sink.rows(), metric: "llm.calls") == (55, "25"))
        #expect(await service.snapshots.snapshot(SeriesSelection(tenant: "a")) == nil)
    }

    @Test func afterAFlushOnlyNewerEventsAreInTheSnapshot() async throws {
        let sink = InMemoryRollupSink()
        let (engine, service) = Self.service(flushInterval: .milliseconds(30), sink: sink)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            Self.send(engine, (0..<30).map { "llm.calls:2|c|#tenant:a,model:m\($0 % 4)" })
            while Self.month(sink.rows(), metric: "llm.calls").events < 30 {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(Self.month(sink.rows(), metric: "llm.calls") == (30, "60"))
            let flushed = try #require(await service.snapshots.snapshot(SeriesSelection(tenant: "a")))
            #expect(flushed.isEmpty, "everything was collected: \(flushed.count) deltas")
            group.cancelAll()
        }
    }
}
