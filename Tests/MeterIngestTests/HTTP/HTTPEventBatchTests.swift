import MeterCore
import MeterIngest
import Synchronization
import Testing

/// An HTTP request's events through a real engine: the shards report each non-accepted
/// record with its ordinal, and the batch maps it back to the request index.
@Suite struct HTTPEventBatchTests {
    static let now: Int64 = 1_769_855_400

    static func engine(shards: Int = 4, bytesPerShard: Int = 1 << 20, maxSeriesPerTenant: Int = 3) -> MeterEngine {
        var configuration = EngineConfiguration()
        configuration.shardCount = shards
        configuration.batchBytes = 4 * 1024
        configuration.bytesPerShard = bytesPerShard
        configuration.aggregatorLimits.maxSeriesPerTenant = maxSeriesPerTenant
        return MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 5))
    }

    static func events(_ lines: [String]) throws -> [Result<JSONValue, RefusalReason>] {
        try lines.map { text in .success(try Array(text.utf8).withUnsafeBytes { try JSONReader.parse($0) }) }
    }

    /// Registers the barrier, queues the batch, drains every shard (each reporting its
    /// marker), and returns the completion's tally.
    static func run(_ batch: HTTPEventBatch, engine: MeterEngine, worker: IngestWorker) -> (BarrierTally, Bool)? {
        let result = Mutex<(BarrierTally, Bool)?>(nil)
        let barrier = engine.barriers.register { _, tally, durable in result.withLock { $0 = (tally, durable) } }
        var rounds = 0
        while !batch.queue(into: worker, barrier: barrier) {
            drain(engine)
            rounds += 1
            if rounds > 1000 { return nil }
        }
        drain(engine)
        return result.withLock { $0 }
    }

    static func drain(_ engine: MeterEngine) {
        for shard in 0..<engine.ring.shardCount {
            let consumer = engine.consumer(shard: shard)
            consumer.onMarker = { _, barrier, tally in engine.barriers.markerDone(barrier: barrier, tally: tally, durable: false) }
            consumer.drainAll()
        }
    }

    @Test func outcomesMapBackToRequestIndicesAcrossShards() throws {
        let engine = Self.engine()
        let worker = engine.makeWorker(policy: .report)
        let converter = HTTPEventLine(limits: engine.configuration.protocolLimits)
        // Series x{model} share one shard (tenant and metric pick it); the others spread.
        var lines: [String] = []
        for index in 0..<40 {
            lines.append(#"{"tenant":"t\#(index % 20)","metric":"other.m\#(index % 5)","type":"c","value":1,"id":"o-\#(index)"}"#)
            if index == 10 { lines.append(#"{"tenant":"lim","metric":"x","type":"c","value":1,"tags":{"model":"a"}}"#) }
            if index == 20 { lines.append(#"{"tenant":"lim","metric":"x","type":"c","value":1,"tags":{"model":"b"}}"#) }
            if index == 25 { lines.append(#"{"tenant":"t1","metric":"other.m1","type":"c","value":1,"id":"o-1"}"#) }  // duplicate of index 1
            if index == 30 { lines.append(#"{"tenant":"lim","metric":"x","type":"c","value":1,"tags":{"model":"c"}}"#) }
            if index == 31 { lines.append(#"{"tenant":"lim","metric":"x","type":"c","value":-1}"#) }  // parser: negative_counter
            if index == 35 { lines.append(#"{"tenant":"lim","metric":"x","type":"c","value":1,"tags":{"model":"d"}}"#) }  // 4th series
        }
        let batch = HTTPEventBatch(events: try Self.events(lines), converter: converter,
                                   source: engine.barriers.makeHTTPSource(), shardCount: 4, now: Self.now)
        let (tally, durable) = try #require(Self.run(batch, engine: engine, worker: worker))
        #expect(durable == false)
        let outcomes = batch.outcomes(tally: tally)
        #expect(outcomes.count == lines.count)
        var expected = Array(repeating: HTTPEventOutcome.accepted, count: lines.count)
        expected[lines.firstIndex { $0.contains(#""id":"o-1"}"#) && $0.contains("t1") }!] = .accepted
        expected[lines.lastIndex { $0.contains(#""id":"o-1"}"#) }!] = .duplicate
        expected[lines.firstIndex { $0.contains(#""value":-1"#) }!] = .refused(.negativeCounter)
        expected[lines.firstIndex { $0.contains(#""model":"d""#) }!] = .refused(.tenantSeriesLimit)
        #expect(outcomes == expected)
        #expect(tally.duplicates == 1)
        #expect(tally.refusals[.tenantSeriesLimit] == 1)
    }

    @Test func aDuplicateAcrossRequestsAndJSONRefusals() throws {
        let engine = Self.engine()
        let worker = engine.makeWorker(policy: .report)
        let converter = HTTPEventLine(limits: engine.configuration.protocolLimits)
        let first = HTTPEventBatch(events: try Self.events([#"{"tenant":"a","metric":"m","type":"c","value":2,"id":"r1"}"#]),
                                   converter: converter, source: engine.barriers.makeHTTPSource(), shardCount: 4, now: Self.now)
        let firstTally = try #require(Self.run(first, engine: engine, worker: worker)).0
        #expect(first.outcomes(tally: firstTally) == [.accepted])
        var events = try Self.events([#"{"tenant":"a","metric":"m","type":"c","value":2,"id":"r1"}"#,
                                      #"{"tenant":"a","metric":"m","type":"c","value":2,"id":"r2"}"#])
        events.insert(.failure(.badJSONEvent), at: 1)
        events.append(.success(.array([])))
        let second = HTTPEventBatch(events: events, converter: converter, source: engine.barriers.makeHTTPSource(),
                                    shardCount: 4, now: Self.now)
        let secondTally = try #require(Self.run(second, engine: engine, worker: worker)).0
        #expect(second.outcomes(tally: secondTally) == [.duplicate, .refused(.badJSONEvent), .accepted, .refused(.badJSONEvent)])
        #expect(worker.counts.refusals[.badJSONEvent] == 2)
    }

    @Test func aFullRingMakesTheBatchWaitAndResumeInOrder() throws {
        let engine = Self.engine(shards: 2, bytesPerShard: 4 * 1024, maxSeriesPerTenant: 10_000)
        let worker = engine.makeWorker(policy: .report)
        let converter = HTTPEventLine(limits: engine.configuration.protocolLimits)
        let lines = (0..<2000).map { #"{"tenant":"a","metric":"m\#(($0 % 1500) % 9)","type":"c","value":1,"id":"e\#($0 % 1500)"}"# }
        let batch = HTTPEventBatch(events: try Self.events(lines), converter: converter,
                                   source: engine.barriers.makeHTTPSource(), shardCount: 2, now: Self.now)
        let barrier = engine.barriers.register { _, _, _ in }
        #expect(batch.queue(into: worker, barrier: barrier) == false)  // the ring holds far fewer
        #expect(batch.offered < lines.count)
        engine.barriers.cancel(barrier)
        let tally = try #require(Self.run(batch, engine: engine, worker: worker)).0
        let outcomes = batch.outcomes(tally: tally)
        #expect(outcomes.filter { $0 == .duplicate }.count == 500)
        #expect(outcomes[1500] == .duplicate && outcomes[1499] == .accepted)
    }

    @Test func streamSourcesAndHTTPSourcesDoNotOverlap() {
        let board = BarrierBoard(shardCount: 1)
        for _ in 0..<1000 {
            #expect(!BarrierBoard.isHTTPSource(board.makeSource()))
            #expect(BarrierBoard.isHTTPSource(board.makeHTTPSource()))
        }
    }
}
