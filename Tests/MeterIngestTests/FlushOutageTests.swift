import Dispatch
import Logging
import MeterCore
import Synchronization
import Testing
@testable import MeterIngest

/// A sink whose writes hang (like a TCP connect to a dead host) until `release()`, then fail
/// while `down`, then keep totals.
final class HangingSink: RollupSink {
    let inner = InMemoryRollupSink()
    let gate = DispatchSemaphore(value: 0)
    let hanging = Atomic<Bool>(true)
    let down = Atomic<Bool>(true)
    let writes = Atomic<Int>(0)

    struct Down: Error {}

    func release() {
        hanging.store(false, ordering: .releasing)
        gate.signal()
    }

    func write(_ deltas: [RollupDelta]) throws {
        writes.add(1, ordering: .relaxed)
        if hanging.load(ordering: .acquiring) { gate.wait() }
        if down.load(ordering: .acquiring) { throw Down() }
        try inner.write(deltas)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct FlushOutageTests {
    /// While a write hangs and then fails, the aggregation loop keeps turning and collecting
    /// rounds, pending memory stays one row per (series, grain, bucket) however many rounds
    /// pass, and once the sink is back every event is written exactly once.
    @Test func hangingThenFailingSinkLosesNothingAndStaysBounded() async throws {
        var configuration = EngineConfiguration()
        configuration.shardCount = 2
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
        let sink = HangingSink()
        let flushStats = FlushStats()
        let stats = AggregateStats(shardCount: 2)
        let service = AggregationService(
            engine: engine, sink: sink, flushInterval: .milliseconds(10), stats: stats, flushStats: flushStats,
            logger: Logger(label: "test"),
            retryPolicy: FlushRetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20)))
        let worker = engine.makeWorker(policy: .drop)
        let now = wallSeconds()
        func send(rounds: Int) async throws {
            for _ in 0..<rounds {
                for tenant in 0..<20 {
                    let line = Array("api.calls:2|c|#tenant:t\(tenant)".utf8)
                    line.withUnsafeBytes { _ = worker.ingest(line: $0, now: now) }
                }
                worker.publish()
                try await Task.sleep(for: .milliseconds(15))
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            // The first write hangs; the loop must keep turning and collecting meanwhile.
            try await send(rounds: 10)
            #expect(sink.writes.load(ordering: .relaxed) == 1)
            #expect(flushStats.loopStallSeconds < 0.5)
            // 20 tenants x 3 grains = 60 distinct rows (one bucket each), whatever the rounds.
            #expect(flushStats.pendingRows <= 2 * 60)
            #expect(flushStats.pendingRows > 0)
            sink.release()  // now it fails fast: retried with backoff, rounds keep folding in
            try await send(rounds: 10)
            #expect(flushStats.consecutiveFailures > 1)
            #expect(flushStats.pendingRows <= 2 * 60)
            #expect(flushStats.loopStallSeconds < 0.5)
            sink.down.store(false, ordering: .releasing)
            while flushStats.consecutiveFailures > 0 || flushStats.pendingRows > 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await send(rounds: 2)
            group.cancelAll()
        }
        let totals = AggregationServiceTests.monthSum(sink.inner.rows(), metric: "api.calls")
        #expect(totals.events == 22 * 20)
        #expect(totals.sum == "\(22 * 20 * 2)")
        #expect(flushStats.pendingRows == 0)
    }

    /// Past `maxPendingRows` no round is collected: the deltas wait in the aggregators, and
    /// reach the sink once it is back.
    @Test func pendingLimitLeavesDeltasInTheAggregators() async throws {
        let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: 3))
        let sink = FlakySink(failures: 1_000_000)
        let flushStats = FlushStats()
        let service = AggregationService(
            engine: engine, sink: sink, flushInterval: .milliseconds(10), stats: AggregateStats(shardCount: 8),
            flushStats: flushStats, logger: Logger(label: "test"), maxPendingRows: 3,
            retryPolicy: FlushRetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(5)))
        let worker = engine.makeWorker(policy: .drop)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            for tenant in 0..<30 {
                let line = Array("api.calls:1|c|#tenant:t\(tenant)".utf8)
                line.withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
                worker.publish()
                try await Task.sleep(for: .milliseconds(3))
            }
            try await Task.sleep(for: .milliseconds(100))
            // One round (<= 30 x 3 rows) may be taken before the limit applies; not more.
            #expect(flushStats.pendingRows < 90)
            #expect(flushStats.failures > 1)
            sink.remainingFailures.withLock { $0 = 0 }
            while sink.inner.rows().isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            group.cancelAll()
        }
        let totals = AggregationServiceTests.monthSum(sink.inner.rows(), metric: "api.calls")
        #expect(totals.events == 30)
    }
}
