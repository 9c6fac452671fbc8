import MeterCore
import Testing

/// `ShardConsumer.refuseBatch(reason:)`: what a shard does with a drained batch the full
/// write-ahead log would not take (docs/durability.md, "WAL full").
@Suite struct ShardConsumerRefusalTests {
    static let now: Int64 = 1_769_855_400

    static func worker(_ engine: MeterEngine, source: UInt32) -> IngestWorker {
        let worker = engine.makeWorker(policy: .wait)
        worker.source = source
        return worker
    }

    static func ingest(_ worker: IngestWorker, _ text: String) {
        var text = text
        text.withUTF8 { worker.ingest(lines: UnsafeRawBufferPointer($0), now: now) }
    }

    /// Three sources (two stream connections, one without a source like UDP), markers of one:
    /// every event is refused, tallied per source on top of what the source had already, each
    /// marker reported with its source's tally, nothing aggregated; the next batch is
    /// aggregated as usual.
    @Test func refusedBatchTalliesEverySourceAndReportsItsMarkers() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 1
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 11))
        let consumer = engine.consumer(shard: 0)
        var reports: [(source: UInt32, barrier: UInt64, tally: BarrierTally)] = []
        consumer.onMarker = { reports.append(($0, $1, $2)) }
        defer { consumer.onMarker = nil }
        let seven = Self.worker(engine, source: 7)
        let eight = Self.worker(engine, source: 8)
        let anonymous = Self.worker(engine, source: 0)

        // A first batch is logged and aggregated: source 7 gets a duplicate in its tally.
        Self.ingest(seven, "a:1|c|#tenant:t,id:x\na:1|c|#tenant:t,id:x\n")
        seven.publish()
        #expect(consumer.drainOnce { _, _ in true } == 2)
        #expect(consumer.counts.accepted == 1 && consumer.counts.duplicates == 1)
        let seriesBefore = consumer.aggregator.seriesCount

        // The next batch is refused by the log hook, then refused outright.
        Self.ingest(seven, "a:2|c|#tenant:t,id:y\nb:1|c|#tenant:t\nc:1|c|#tenant:t2\n")
        #expect(seven.offerMarker(barrier: 5))
        Self.ingest(seven, "d:1|c|#tenant:t\n")
        #expect(seven.offerMarker(barrier: 6))
        seven.publish()
        Self.ingest(eight, "a:1|c|#tenant:u\nz:1|c|#tenant:u\n")
        eight.publish()
        Self.ingest(anonymous, "e:4|c|#tenant:v\n")
        anonymous.publish()
        var offered = 0
        #expect(consumer.drainOnce { _, records in
            offered = records
            return false
        } == 0)
        #expect(offered == 9)  // 7 events, 2 markers
        #expect(reports.isEmpty)
        #expect(consumer.refuseBatch(reason: .walFull) == 9)
        #expect(!consumer.isHoldingBatch)
        #expect(consumer.refuseBatch(reason: .walFull) == 0)

        var first = BarrierTally()
        first.duplicates = 1
        first.refusals[.walFull] = 3
        var second = BarrierTally()
        second.refusals[.walFull] = 1
        #expect(reports.map(\.source) == [7, 7])
        #expect(reports.map(\.barrier) == [5, 6])
        #expect(reports.map(\.tally) == [first, second])
        var eightTally = BarrierTally()
        eightTally.refusals[.walFull] = 2
        #expect(consumer.sourceTallies == [8: eightTally])
        #expect(consumer.counts.refusals[.walFull] == 7)
        #expect(consumer.counts.refusals.total == 7)
        #expect(consumer.counts.accepted == 1 && consumer.counts.duplicates == 1)
        #expect(consumer.aggregator.seriesCount == seriesBefore)

        // Refused ids were never counted: sent again, the event with id y is accepted.
        Self.ingest(seven, "a:2|c|#tenant:t,id:y\n")
        seven.publish()
        #expect(consumer.drainAll { _, _ in true } == 1)
        #expect(consumer.counts.accepted == 2)
        #expect(consumer.counts.duplicates == 1)
    }
}
