import Logging
import MeterCore
import Synchronization
import Testing
@testable import MeterIngest

/// Records the idempotency keys of every write and fails its first `failures` writes.
final class IDRecordingSink: RollupSink {
    let remainingFailures: Mutex<Int>
    let writes = Mutex<[(deltas: [RollupDelta], ids: SeenIDs, failed: Bool)]>([])

    init(failures: Int) { remainingFailures = Mutex(failures) }

    struct Down: Error {}

    func write(_ deltas: [RollupDelta]) throws { try write(deltas, covering: nil, ids: SeenIDs()) }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws {
        let fail = remainingFailures.withLock { remaining in
            if remaining > 0 { remaining -= 1; return true }
            return false
        }
        writes.withLock { $0.append((deltas, ids, fail)) }
        if fail { throw Down() }
    }
}

/// The keys counted by the shards reach the sink with the deltas: each new key exactly once
/// over the committed writes, duplicates never, and a retried write carries the same keys.
@Suite(.timeLimit(.minutes(1)))
struct DedupIDFlushTests {
    @Test func keysTravelWithTheDeltasAndRetriesCarryTheSameKeys() async throws {
        var configuration = EngineConfiguration()
        configuration.shardCount = 3
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
        engine.startDedupJournals()
        let sink = IDRecordingSink(failures: 2)
        let flushStats = FlushStats()
        let service = AggregationService(engine: engine, sink: sink, flushInterval: .milliseconds(30),
                                         stats: AggregateStats(shardCount: 3), flushStats: flushStats,
                                         logger: Logger(label: "test"),
                                         retryPolicy: FlushRetryPolicy(initialDelay: .milliseconds(20)))
        let worker = engine.makeWorker(policy: .drop)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            for round in 0..<4 {
                for i in 0..<50 {
                    // Each id twice (a retry), and every round resends the previous round's ids.
                    let id = round * 25 + i
                    let line = Array("llm.calls:1|c|#tenant:t\(id % 7),id:r\(id)".utf8)
                    line.withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
                    line.withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
                }
                worker.publish()
                try await Task.sleep(for: .milliseconds(40))
            }
            while flushStats.flushes == 0 { try await Task.sleep(for: .milliseconds(10)) }
            group.cancelAll()
        }
        let writes = sink.writes.withLock { $0 }
        #expect(writes.count >= 3)
        #expect(writes[0].failed && writes[1].failed)
        #expect(writes[1].ids == writes[0].ids && writes[2].ids == writes[0].ids)
        #expect(writes[1].deltas == writes[0].deltas)
        // Committed writes: ids 0 ..< 125, each once, in the shard its (tenant, metric) picks.
        var seen: [Fingerprint128] = []
        for write in writes where !write.failed {
            for (_, entries) in write.ids.byShard { seen += entries.map(\.fingerprint) }
        }
        #expect(seen.count == 125)
        #expect(Set(seen).count == 125)
    }
}
