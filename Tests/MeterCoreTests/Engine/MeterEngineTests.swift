import Foundation
import MeterCore
import Testing

@Suite struct MeterEngineTests {
    static let now: Int64 = 1_769_855_400

    static func lines(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        var text = text
        text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    static func totals(_ engine: MeterEngine, now: Int64 = MeterEngineTests.now) -> RollupTotals {
        var deltas: [RollupDelta] = []
        engine.drainAndCollectDeltas(now: now, into: &deltas)
        var totals = RollupTotals()
        totals.apply(deltas)
        return totals
    }

    static func monthSum(_ totals: RollupTotals, tenant: String, metric: String) -> QuantitySum {
        var sum = QuantitySum.zero
        for (key, value) in totals.rows where key.grain == .month {
            let decoded = key.seriesKey.withUnsafeBytes { SeriesKey.decode($0) }!
            if decoded.tenant == tenant && decoded.metric == metric { sum.add(value.sum) }
        }
        return sum
    }

    @Test func linesFlowFromParserToRollups() {
        let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: 7))
        let worker = engine.makeWorker(policy: .drop)
        Self.lines("""
            ai.tokens:1200|c|#tenant:acme,model:gpt-x\r
            ai.tokens:800.5|c|#model:gpt-x,tenant:acme,id:req-1
            ai.tokens:800.5|c|#model:gpt-x,tenant:acme,id:req-1
            ai.latency:12|ms|#tenant:acme

            sms.sent:1|c|#tenant:globex|T\(Self.now - 60)
            sms.sent:1|c|@0.5|#tenant:globex
            """) { worker.ingest(lines: $0, now: Self.now) }
        worker.publish()
        #expect(worker.counts.lines == 6)
        #expect(worker.counts.enqueued == 4)
        #expect(worker.counts.refusals[.unsupportedType] == 1)
        #expect(worker.counts.refusals[.sampleRate] == 1)

        let totals = Self.totals(engine)
        #expect(Self.monthSum(totals, tenant: "acme", metric: "ai.tokens") == QuantitySum(Quantity("2000.5")!))
        #expect(Self.monthSum(totals, tenant: "globex", metric: "sms.sent") == QuantitySum(Quantity("1")!))
        let duplicates = (0..<engine.configuration.shardCount).map { engine.consumer(shard: $0).counts.duplicates }.reduce(0, +)
        #expect(duplicates == 1)
    }

    @Test func fullRingUnderDropPolicyCountsEveryDrop() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 1
        configuration.batchBytes = 4 * 1024
        configuration.bytesPerShard = 4 * 1024
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 1))
        let worker = engine.makeWorker(policy: .drop)
        let line = Array("api.calls:1|c|#tenant:acme".utf8)
        for _ in 0..<1_000 {
            line.withUnsafeBytes { _ = worker.ingest(line: $0, now: Self.now) }
        }
        worker.publish()
        #expect(worker.counts.enqueued == 1_000)
        #expect(worker.counts.droppedRingFull > 0)
        let totals = Self.totals(engine)
        let counted = totals.rows.filter { $0.key.grain == .month }.map(\.value.events).reduce(0, +)
        #expect(Int(counted) + worker.counts.droppedRingFull == 1_000)
    }

    /// Producers on their own threads, consumers draining concurrently: every line counted once.
    @Test func concurrentProducersAndConsumersLoseNothing() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 4
        configuration.batchBytes = 8 * 1024
        configuration.bytesPerShard = 32 * 1024  // small, so waiting on a full shard happens
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 3))
        let producers = 3
        let linesPerProducer = 20_000
        let done = ManagedAtomicFlag()
        let finished = DispatchGroup()
        for shard in 0..<configuration.shardCount {
            finished.enter()
            Thread {
                let consumer = engine.consumer(shard: shard)
                while !done.isSet || engine.ring.occupancy(shard: shard).records > 0 {
                    if consumer.drainOnce() == 0 { _ = engine.ring.waitForRecords(shard: shard, timeout: .milliseconds(5)) }
                }
                finished.leave()
            }.start()
        }
        let producerGroup = DispatchGroup()
        for producer in 0..<producers {
            producerGroup.enter()
            Thread {
                let worker = engine.makeWorker(policy: .wait)
                for index in 0..<linesPerProducer {
                    let line = Array("m\(index % 7):2|c|#tenant:t\(producer),n:\(index % 5)".utf8)
                    line.withUnsafeBytes { _ = worker.ingest(line: $0, now: Self.now) }
                    if index % 100 == 0 { worker.publish() }
                }
                worker.publish()
                #expect(worker.counts.enqueued == linesPerProducer)
                #expect(worker.counts.droppedRingFull == 0)
                producerGroup.leave()
            }.start()
        }
        producerGroup.wait()
        done.set()
        finished.wait()
        let totals = Self.totals(engine)
        let events = totals.rows.filter { $0.key.grain == .month }.map(\.value.events).reduce(0, +)
        #expect(events == Int64(producers * linesPerProducer))
        for producer in 0..<producers {
            var sum = QuantitySum.zero
            for index in 0..<7 { sum.add(Self.monthSum(totals, tenant: "t\(producer)", metric: "m\(index)")) }
            #expect(sum == QuantitySum(units: Int128(2 * linesPerProducer) * 1_000_000))
        }
    }
}

/// A set-once flag readable from any thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
