import MeterCore
import Testing

/// The write-ahead log hook of `ShardConsumer` and start-up replay (`MeterEngine.replay`).
@Suite struct ShardConsumerLogHookTests {
    static let now: Int64 = 1_769_855_400

    static func engine(shards: Int) -> MeterEngine {
        var configuration = EngineConfiguration()
        configuration.shardCount = shards
        return MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 7))
    }

    static func send(_ engine: MeterEngine, _ lines: [String]) {
        let worker = engine.makeWorker(policy: .drop)
        for line in lines {
            let bytes = Array(line.utf8)
            bytes.withUnsafeBytes { _ = worker.ingest(line: $0, now: now) }
        }
        worker.publish()
    }

    static func monthTotals(_ engine: MeterEngine) -> [String: Int64] {
        var deltas: [RollupDelta] = []
        engine.drainAndCollectDeltas(now: now, into: &deltas)
        var totals: [String: Int64] = [:]
        for delta in deltas where delta.grain == .month {
            let metric = delta.seriesKey.withUnsafeBytes { SeriesKey.decode($0)?.metric } ?? "?"
            totals[metric, default: 0] += delta.events
        }
        return totals
    }

    @Test func aRefusedBatchStaysUnaggregatedAndIsOfferedAgainFirst() {
        let engine = Self.engine(shards: 1)
        Self.send(engine, ["a:1|c|#tenant:t", "b:2|c|#tenant:t"])
        let consumer = engine.consumer(shard: 0)
        var offered: [(bytes: Int, records: Int)] = []
        #expect(consumer.drainOnce { bytes, records in
            offered.append((bytes.count, records))
            return false
        } == 0)
        #expect(consumer.isHoldingBatch)
        #expect(consumer.counts.accepted == 0)
        #expect(offered.count == 1 && offered[0].records == 2)

        // More records arrive meanwhile: the held batch is offered again, alone and unchanged.
        Self.send(engine, ["c:3|c|#tenant:t"])
        var again: [(bytes: Int, records: Int)] = []
        #expect(consumer.drainOnce { bytes, records in
            again.append((bytes.count, records))
            return true
        } == 2)
        #expect(again.count == 1 && again[0].bytes == offered[0].bytes && again[0].records == 2)
        #expect(!consumer.isHoldingBatch)
        #expect(consumer.counts.accepted == 2)
        #expect(consumer.drainAll { _, _ in true } == 1)
        #expect(consumer.counts.accepted == 3)
    }

    @Test func replayedRecordsLandInTheShardTheCurrentShardCountPicks() {
        // Log every drained batch of a 2-shard engine, then replay the log into 3 and 1 shards.
        let source = Self.engine(shards: 2)
        let lines = (0..<40).map { "m\($0 % 7):1|c|#tenant:t\($0 % 5)" }
        Self.send(source, lines)
        var log: [[UInt8]] = []
        for shard in 0..<2 {
            source.consumer(shard: shard).drainAll { bytes, _ in
                log.append(Array(bytes))
                return true
            }
        }
        let expected = Self.monthTotals(source)
        #expect(expected.values.reduce(0, +) == 40)
        for shards in [3, 1] {
            let target = Self.engine(shards: shards)
            var counts = AggregateCounts()
            for entry in log {
                #expect(entry.withUnsafeBytes { target.replay(framed: $0, counts: &counts) })
            }
            #expect(counts.accepted == 40)
            // Every series sits in the aggregator of the shard IngestWorker picks now.
            let reference = Self.engine(shards: shards)
            Self.send(reference, lines)
            for shard in 0..<shards {
                reference.consumer(shard: shard).drainAll()
                #expect(target.consumer(shard: shard).aggregator.seriesCount
                        == reference.consumer(shard: shard).aggregator.seriesCount)
            }
            #expect(Self.monthTotals(target) == expected)
        }
    }

    @Test func malformedFramingStopsReplay() {
        let engine = Self.engine(shards: 1)
        var counts = AggregateCounts()
        let bogus: [UInt8] = [200, 0, 0, 0, 1, 2, 3]
        #expect(!bogus.withUnsafeBytes { engine.replay(framed: $0, counts: &counts) })
    }
}
