import Foundation
import MeterCore
import Testing

@Suite struct SyncBarrierTests {
    static func parse(_ text: String) -> SyncBarrier.Request? {
        var text = text
        return text.withUTF8 { SyncBarrier.parse(UnsafeRawBufferPointer($0)) }
    }

    @Test func parsesBarrierLines() {
        #expect(Self.parse("#sync t1") == .sync(token: "t1"))
        #expect(Self.parse("#sync a.b:c-d_9\r") == .sync(token: "a.b:c-d_9"))
        #expect(Self.parse("#sync " + String(repeating: "x", count: 64)) == .sync(token: String(repeating: "x", count: 64)))
        #expect(Self.parse("#sync") == .malformed(reason: "missing_token"))
        #expect(Self.parse("#sync ") == .malformed(reason: "missing_token"))
        #expect(Self.parse("#synced x") == .malformed(reason: "unknown_command"))
        #expect(Self.parse("#sync a b") == .malformed(reason: "bad_token"))
        #expect(Self.parse("#sync a/b") == .malformed(reason: "bad_token"))
        #expect(Self.parse("#sync " + String(repeating: "x", count: 65)) == .malformed(reason: "token_too_long"))
        // Not barriers: parsed (and refused) as metric lines.
        #expect(Self.parse("api.calls:1|c|#tenant:a") == nil)
        #expect(Self.parse("#syn") == nil)
        #expect(Self.parse("# sync x") == nil)
        #expect(Self.parse("") == nil)
    }

    @Test func answerLine() {
        var parsed = IngestCounts()
        parsed.lines = 10
        parsed.enqueued = 8
        parsed.refusals[.badValue] = 2
        var tally = BarrierTally()
        tally.add(.duplicate)
        tally.add(.refused(.tenantSeriesLimit))
        tally.add(.accepted)
        let answer = SyncBarrier.answer(token: "t", parsed: parsed, tally: tally, durable: true)
        #expect(answer.line == "#synced t accepted=6 duplicate=1 refused=3 durable=yes bad_value=2 tenant_series_limit=1")
        let empty = SyncBarrier.answer(token: "x", parsed: IngestCounts(), tally: BarrierTally(), durable: false)
        #expect(empty.line == "#synced x accepted=0 duplicate=0 refused=0 durable=no")
    }

    @Test func markerRecordRoundTrip() {
        let body = UnsafeMutableRawBufferPointer.allocate(byteCount: EventRecord.headerBytes, alignment: 8)
        defer { body.deallocate() }
        EventRecord.encodeMarker(source: 0xAB_CDEF, barrier: 42, into: body)
        let view = UnsafeRawBufferPointer(body)
        #expect(EventRecord.kind(of: view) == EventRecord.markerKind)
        #expect(EventRecord.source(of: view) == 0xAB_CDEF)
        #expect(EventRecord.barrier(ofMarker: view) == 42)
        #expect(EventRecordView(view) == nil) // never read as an event
    }

    /// Markers follow the records of their worker through the ring; the consumer reports each
    /// with the source's duplicates and limit refusals since the previous marker, and counts
    /// nothing for the marker itself. Replay skips markers.
    @Test func consumerReportsMarkersWithSourceTallies() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 2
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 3))
        let worker = engine.makeWorker(policy: .wait)
        worker.source = 7
        let other = engine.makeWorker(policy: .wait)
        other.source = 8
        var text = "a:1|c|#tenant:t,id:x\na:1|c|#tenant:t,id:x\nb:2|c|#tenant:u\n"
        text.withUTF8 { worker.ingest(lines: UnsafeRawBufferPointer($0), now: 1_769_855_400) }
        var duplicate = "a:1|c|#tenant:t,id:x\n"
        duplicate.withUTF8 { other.ingest(lines: UnsafeRawBufferPointer($0), now: 1_769_855_400) }
        #expect(worker.offerMarker(barrier: 5))
        worker.publish()
        other.publish()
        var reports: [(UInt32, UInt64, BarrierTally)] = []
        for shard in 0..<2 {
            let consumer = engine.consumer(shard: shard)
            consumer.onMarker = { reports.append(($0, $1, $2)) }
            consumer.drainAll()
            consumer.onMarker = nil
        }
        #expect(reports.count == 2)
        #expect(reports.allSatisfy { $0.0 == 7 && $0.1 == 5 })
        #expect(reports.map(\.2.duplicates).reduce(0, +) == 1)
        // The other source's duplicate stays in its own tally.
        let kept = (0..<2).map { engine.consumer(shard: $0).sourceTallies[8]?.duplicates ?? 0 }.reduce(0, +)
        #expect(kept == 1)
        let counted = (0..<2).map { engine.consumer(shard: $0).counts.accepted }.reduce(0, +)
        #expect(counted == 2)
    }

    /// WAL replay (framed records of drained batches) skips markers and counts the events.
    @Test func replaySkipsMarkers() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 1
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 5))
        let worker = engine.makeWorker(policy: .wait)
        worker.source = 9
        var text = "a:1|c|#tenant:t\nb:2|c|#tenant:t\n"
        text.withUTF8 { worker.ingest(lines: UnsafeRawBufferPointer($0), now: 1_769_855_400) }
        #expect(worker.offerMarker(barrier: 1))
        worker.publish()
        let batch = RecordBatch(capacity: 64 * 1024)
        #expect(engine.ring.drain(shard: 0, into: batch) == 3)
        let fresh = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 5))
        var counts = AggregateCounts()
        #expect(fresh.replay(framed: batch.bytes, counts: &counts))
        #expect(counts.accepted == 2)
    }
}
