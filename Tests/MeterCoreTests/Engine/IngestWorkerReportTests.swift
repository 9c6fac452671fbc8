import MeterCore
import Testing

/// The `.report` policy: a full ring never blocks and never loses a line; the caller retries.
@Suite struct IngestWorkerReportTests {
    static let now: Int64 = 1_769_855_400

    static func smallEngine() -> MeterEngine {
        var configuration = EngineConfiguration()
        configuration.shardCount = 1
        configuration.batchBytes = 4 * 1024
        configuration.bytesPerShard = 4 * 1024
        return MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 11))
    }

    static func monthEvents(_ engine: MeterEngine) -> Int64 {
        var deltas: [RollupDelta] = []
        engine.drainAndCollectDeltas(now: now, into: &deltas)
        return deltas.filter { $0.grain == .month }.map(\.events).reduce(0, +)
    }

    @Test func fullRingDeclinesLinesAndKeepsTheRemainderUntilThereIsRoom() {
        let engine = Self.smallEngine()
        let worker = engine.makeWorker(policy: .report)
        let line = Array("api.calls:1|c|#tenant:acme".utf8)
        var offered = 0
        var declined = 0
        // Offer lines until the ring and the batch are both full.
        while declined == 0 {
            let taken = line.withUnsafeBytes { worker.offer(line: $0, now: Self.now) }
            if taken { offered += 1 } else { declined += 1 }
        }
        #expect(offered > 0)
        #expect(worker.counts.lines == offered)
        #expect(worker.counts.enqueued == offered)
        #expect(worker.counts.droppedRingFull == 0)
        #expect(worker.publish() == false)
        #expect(worker.hasUnpublishedRecords)

        // The consumer makes room; the retry resumes from the first record not yet pushed.
        var counted: Int64 = 0
        var rounds = 0
        while !worker.publish() {
            counted += Self.monthEvents(engine)
            rounds += 1
            #expect(rounds < 100)
        }
        #expect(!worker.hasUnpublishedRecords)
        // The declined line is offered again and now fits.
        #expect(line.withUnsafeBytes { worker.offer(line: $0, now: Self.now) })
        counted += Self.monthEvents(engine)
        #expect(worker.publish())
        counted += Self.monthEvents(engine)
        #expect(counted == Int64(offered + 1))
        #expect(worker.counts.lines == offered + 1)
    }

    @Test func refusedLinesAreCountedAndNeverDeclined() {
        let engine = Self.smallEngine()
        let worker = engine.makeWorker(policy: .report)
        let bad = Array("api.calls:1|ms|#tenant:acme".utf8)
        #expect(bad.withUnsafeBytes { worker.offer(line: $0, now: Self.now) })
        worker.countRefusal(.lineTooLong)
        #expect(worker.counts.lines == 2)
        #expect(worker.counts.refusals[.unsupportedType] == 1)
        #expect(worker.counts.refusals[.lineTooLong] == 1)
        #expect(worker.publish())
    }

    @Test func randomInterleavingOfOffersPublishesAndDrainsLosesNothing() {
        var random = SplitMix64(seed: 5)
        let engine = Self.smallEngine()
        let worker = engine.makeWorker(policy: .report)
        var pending = 3_000
        var counted: Int64 = 0
        while pending > 0 || worker.hasUnpublishedRecords {
            switch random.next() % 3 {
            case 0 where pending > 0:
                let line = Array("m.\(pending % 7):1|c|#tenant:t\(pending % 3)".utf8)
                if line.withUnsafeBytes({ worker.offer(line: $0, now: Self.now) }) { pending -= 1 }
            case 1:
                worker.publish()
            default:
                counted += Self.monthEvents(engine)
            }
        }
        counted += Self.monthEvents(engine)
        #expect(counted == 3_000)
        #expect(worker.counts.enqueued == 3_000)
    }
}
