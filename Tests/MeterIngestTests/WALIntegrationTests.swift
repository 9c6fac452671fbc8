import Foundation
import Logging
import MeterCore
import MeterWAL
import Synchronization
import Testing
@testable import MeterIngest

/// Records every write with the cut it covers, checks the WAL was durable up to the cut when
/// the write came, and fails its first `failures` writes.
final class CutRecordingSink: RollupSink {
    let inner = InMemoryRollupSink()
    let wal: WriteAheadLog
    let remainingFailures: Mutex<Int>
    let writes = Mutex<[(deltas: [RollupDelta], cut: WALCut?, durable: Int64)]>([])

    init(wal: WriteAheadLog, failures: Int) {
        self.wal = wal
        remainingFailures = Mutex(failures)
    }

    struct Down: Error {}

    func write(_ deltas: [RollupDelta]) throws { try write(deltas, covering: nil) }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?) throws {
        writes.withLock { $0.append((deltas, cut, wal.durablePosition)) }
        let fail = remainingFailures.withLock { remaining in
            if remaining > 0 { remaining -= 1; return true }
            return false
        }
        if fail { throw Down() }
        try inner.write(deltas)
    }
}

@Suite struct WALCutTests {
    @Test func mergeKeepsTheLargestPositionPerShard() {
        var cut = WALCut()
        cut.advance(shard: 0, to: 100)
        cut.advance(shard: 0, to: 50)
        cut.merge(WALCut(positions: [1: 70, 0: 120]))
        #expect(cut.positions == [0: 120, 1: 70])
        #expect(cut.maximum == 120 && cut.minimum == 70)
        #expect(cut.isAhead(of: WALCut(positions: [0: 120, 1: 60])))
        #expect(!cut.isAhead(of: WALCut(positions: [0: 120, 1: 70])))
        #expect(cut.isAhead(of: WALCut()))
        #expect(!WALCut().isAhead(of: cut))
    }

    @Test func replayFilterComparesEachEntryWithItsShardsPosition() {
        let filter = WALReplayFilter(WALCut(positions: [0: 200, 1: 100]))
        #expect(filter.start == 100)
        // Shard 0 committed up to 200: its entries before are in the database.
        #expect(!filter.replays(shard: 0, lsn: 100))
        #expect(!filter.replays(shard: 0, lsn: 199))
        #expect(filter.replays(shard: 0, lsn: 200))
        // Shard 1 committed up to 100 only.
        #expect(!filter.replays(shard: 1, lsn: 99))
        #expect(filter.replays(shard: 1, lsn: 100))
        #expect(filter.replays(shard: 1, lsn: 150))
        // A shard the checkpoint does not name (the shard count changed): the smallest position.
        #expect(!filter.replays(shard: 5, lsn: 99))
        #expect(filter.replays(shard: 5, lsn: 100))
        // No checkpoint at all: everything.
        let none = WALReplayFilter(WALCut())
        #expect(none.start == 0 && none.replays(shard: 3, lsn: 0))
    }

    @Test func entryHeaderRoundTrips() {
        var bytes = [UInt8](repeating: 0, count: WALEntryHeader.bytes + 3)
        bytes.withUnsafeMutableBytes { WALEntryHeader(shard: 513, recordCount: 70_000).write(to: $0.baseAddress!) }
        bytes[8] = 1; bytes[9] = 2; bytes[10] = 3
        let parsed = bytes.withUnsafeBytes { raw in WALEntryHeader.parse(raw).map { ($0.header, Array($0.records)) } }
        #expect(parsed?.0 == WALEntryHeader(shard: 513, recordCount: 70_000))
        #expect(parsed?.1 == [1, 2, 3])
        #expect([UInt8](repeating: 0, count: 7).withUnsafeBytes { WALEntryHeader.parse($0) } == nil)
    }

    @Test func checkpointFileIsReplacedWhole() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walcut-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = WALCheckpointFile(directory: directory)
        #expect(file.read() == nil)
        try file.write(WALCut(positions: [0: 10, 1: 20, 2: 30]))
        try file.write(WALCut(positions: [0: 40, 1: 50]))
        #expect(file.read() == WALCut(positions: [0: 40, 1: 50]))
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp"))
    }
}

@Suite(.timeLimit(.minutes(1)))
struct WALFlushTests {
    /// Each shard logs before it aggregates; each write carries the per-shard positions its
    /// deltas cover, the WAL is durable up to them when the write comes, a retry carries the
    /// same cut, and the last commit covers the whole log (the local checkpoint says so too).
    @Test func flushesCarryDurableCutsAndTheLastCoversTheWholeLog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walflush-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wal = try WriteAheadLog(directory: directory, configuration: WALConfiguration(preallocate: false))
        let log = ShardLog(wal: wal, logger: Logger(label: "test"))
        var configuration = EngineConfiguration()
        configuration.shardCount = 3
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 4))
        let sink = CutRecordingSink(wal: wal, failures: 2)
        let flushStats = FlushStats()
        let service = AggregationService(engine: engine, sink: sink, flushInterval: FlushInterval(.milliseconds(30)),
                                         stats: AggregateStats(shardCount: 3), flushStats: flushStats,
                                         logger: Logger(label: "test"),
                                         retryPolicy: FlushRetryPolicy(initialDelay: .milliseconds(20)), log: log)
        let worker = engine.makeWorker(policy: .drop)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            for round in 0..<5 {
                for tenant in 0..<10 {
                    let line = Array("llm.calls:1|c|#tenant:t\(tenant),model:m\(round)".utf8)
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
        #expect(writes[1].cut == writes[0].cut && writes[2].cut == writes[0].cut)
        for write in writes {
            let cut = try #require(write.cut)
            #expect(Set(cut.positions.keys) == [0, 1, 2])
            #expect(write.durable >= cut.maximum!)
        }
        let end = wal.statistics.appendedLSN
        #expect(writes.last?.cut?.minimum == end)
        #expect(log.checkpointFile.read() == writes.last?.cut)
        // 50 events, in entries that start within the log.
        var events = 0
        try wal.replay(from: wal.statistics.oldestLSN) { _, payload in
            events += WALEntryHeader.parse(payload)?.header.recordCount ?? 0
        }
        #expect(events == 50)
        #expect(AggregationServiceTests.monthSum(sink.inner.rows(), metric: "llm.calls").events == 50)
        try wal.close()
    }

    /// Sends `events` lines through a blocking producer (TCP-like: it waits while the ring is
    /// full) on a thread of its own; returns once all are in the ring.
    static func produce(_ engine: MeterEngine, events: Int) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                let worker = engine.makeWorker(policy: .wait)
                for index in 0..<events {
                    let line = Array("wal.full.m\(index % 4):1|c|#tenant:t\(index % 3),pad:\(String(repeating: "x", count: 60))".utf8)
                    line.withUnsafeBytes { _ = worker.ingest(line: $0, now: wallSeconds()) }
                }
                worker.publish()
                done.resume()
            }.start()
        }
    }

    /// A WAL of two ~300 KiB segments: far smaller than 6 MB of traffic.
    static func smallWAL(_ directory: String) throws -> WriteAheadLog {
        let entry = 300 * 1024
        return try WriteAheadLog(directory: directory, configuration: WALConfiguration(
            segmentBytes: entry + 64, maxBytes: 2 * (entry + 64), maxEntryBytes: entry, preallocate: false))
    }

    static func totals(_ stats: AggregateStats) -> AggregateCounts {
        var total = AggregateCounts()
        for shard in stats.snapshots() {
            total.accepted += shard.counts.accepted
            total.duplicates += shard.counts.duplicates
            for reason in RefusalReason.allCases { total.refusals[reason] += shard.counts.refusals[reason] }
        }
        return total
    }

    /// A WAL far smaller than the traffic, with flushes that commit: shards that find the WAL
    /// full keep answering flush rounds, the commits release segments, and every event is
    /// either counted once (committed) or refused with `wal_full`, never both.
    @Test func aFullWALIsReleasedByFlushesAndEveryEventIsCountedOrRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walfull-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wal = try Self.smallWAL(directory)
        let log = ShardLog(wal: wal, logger: Logger(label: "test"))
        var configuration = EngineConfiguration()
        configuration.shardCount = 2
        configuration.bytesPerShard = 1 << 20
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
        let sink = CutRecordingSink(wal: wal, failures: 0)
        let stats = AggregateStats(shardCount: 2)
        let service = AggregationService(engine: engine, sink: sink, flushInterval: FlushInterval(.milliseconds(30)),
                                         stats: stats, flushStats: FlushStats(),
                                         logger: Logger(label: "test"), log: log)
        let events = 60_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            // Half, then (whatever the machine's speed made of it) wait for a commit to
            // release the oldest segment, then the other half: it must be logged again.
            await Self.produce(engine, events: events / 2)
            let deadline = ContinuousClock.now + .seconds(30)
            while wal.statistics.oldestLSN == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            await Self.produce(engine, events: events / 2)
            group.cancelAll()
        }
        #expect(wal.statistics.oldestLSN > 0)
        #expect(wal.statistics.fullRefusals > 0)
        #expect(wal.statistics.bytesWritten > Int64(wal.configuration.maxBytes))
        var committed: Int64 = 0
        for (key, value) in sink.inner.rows() where key.grain == .month { committed += value.events }
        let counts = Self.totals(stats)
        #expect(committed == Int64(counts.accepted))
        #expect(counts.accepted + counts.refusals[.walFull] == events)
        #expect(counts.refusals.total == counts.refusals[.walFull])
        try wal.close()
    }

    /// PostgreSQL never answers: the WAL fills and stays full. Shards refuse every batch it
    /// will not take (`wal_full`) and keep draining, so a blocking producer never stalls; the
    /// events counted are exactly those in the WAL (replay sees no refused batch).
    @Test func aWALThatStaysFullRefusesAndTheRingKeepsDraining() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walfull-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wal = try Self.smallWAL(directory)
        let log = ShardLog(wal: wal, logger: Logger(label: "test"))
        var configuration = EngineConfiguration()
        configuration.shardCount = 2
        configuration.bytesPerShard = 1 << 20
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
        let sink = CutRecordingSink(wal: wal, failures: .max)
        let stats = AggregateStats(shardCount: 2)
        let service = AggregationService(engine: engine, sink: sink, flushInterval: FlushInterval(.milliseconds(30)),
                                         stats: stats, flushStats: FlushStats(), logger: Logger(label: "test"),
                                         retryPolicy: FlushRetryPolicy(initialDelay: .milliseconds(20)), log: log)
        let events = 60_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            await Self.produce(engine, events: events)
            group.cancelAll()
        }
        #expect(sink.inner.rows().isEmpty)
        let counts = Self.totals(stats)
        #expect(counts.accepted > 0)
        #expect(counts.refusals[.walFull] > 0)
        #expect(counts.accepted + counts.refusals[.walFull] == events)
        try wal.sync()
        #expect(wal.statistics.retainedBytes <= Int64(wal.configuration.maxBytes))
        var logged = 0
        try wal.replay(from: wal.statistics.oldestLSN) { _, payload in
            logged += WALEntryHeader.parse(payload)?.header.recordCount ?? 0
        }
        #expect(logged == counts.accepted)
        try wal.close()
    }
}
