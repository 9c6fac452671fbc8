import Logging
import MeterCore
import Synchronization
import Testing
@testable import MeterIngest

/// A sink that fails its first `failures` writes, then keeps totals; it records every batch.
final class FlakySink: RollupSink {
    let remainingFailures: Mutex<Int>
    let inner = InMemoryRollupSink()
    let writes = Mutex(0)
    let batches = Mutex<[[RollupDelta]]>([])

    init(failures: Int) { remainingFailures = Mutex(failures) }

    struct Down: Error {}

    func write(_ deltas: [RollupDelta]) throws {
        writes.withLock { $0 += 1 }
        batches.withLock { $0.append(deltas) }
        let fail = remainingFailures.withLock { remaining in
            if remaining > 0 { remaining -= 1; return true }
            return false
        }
        if fail { throw Down() }
        try inner.write(deltas)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct AggregationServiceTests {
    static func monthSum(_ rows: [RollupKey: RollupValue], metric: String) -> (events: Int64, sum: String) {
        var events: Int64 = 0
        var sum = QuantitySum.zero
        for (key, value) in rows where key.grain == .month {
            guard key.seriesKey.withUnsafeBytes({ SeriesKey.decode($0)?.metric }) == metric else { continue }
            events += value.events
            sum.add(value.sum)
        }
        return (events, sum.description)
    }

    /// Shard threads aggregate, the flusher retries what the sink refused, and the final
    /// flush at shutdown writes the rest: totals exact, nothing counted twice.
    @Test func failedWritesAreRetriedAndShutdownFlushesTheRest() async throws {
        var configuration = EngineConfiguration()
        configuration.shardCount = 3
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 4))
        let sink = FlakySink(failures: 2)
        let flushStats = FlushStats()
        let stats = AggregateStats(shardCount: 3)
        let service = AggregationService(engine: engine, sink: sink, flushInterval: .milliseconds(30), stats: stats,
                                         flushStats: flushStats, logger: Logger(label: "test"),
                                         retryPolicy: FlushRetryPolicy(initialDelay: .milliseconds(20)))
        let worker = engine.makeWorker(policy: .drop)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            for round in 0..<5 {
                for tenant in 0..<10 {
                    let line = Array("llm.calls:0.5|c|#tenant:t\(tenant),model:m\(round)".utf8)
                    line.withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
                }
                worker.publish()
                try await Task.sleep(for: .milliseconds(40))
            }
            // Wait for the first committed write (after two failures).
            while flushStats.flushes == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(flushStats.failures == 2)
            #expect(flushStats.consecutiveFailures == 0)
            // The RollupSink contract: after a failure the very same batch comes again.
            let batches = sink.batches.withLock { $0 }
            #expect(batches[1] == batches[0] && batches[2] == batches[0])
            // A last event just before shutdown: the final flush must carry it.
            let last = Array("llm.calls:1|c|#tenant:t0".utf8)
            last.withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
            worker.publish()
            group.cancelAll()
        }
        let totals = Self.monthSum(sink.inner.rows(), metric: "llm.calls")
        #expect(totals.events == 51)
        #expect(totals.sum == "26")
        #expect(stats.snapshots().map(\.counts.accepted).reduce(0, +) == 51)
        #expect(flushStats.pendingRows == 0)
    }
}
