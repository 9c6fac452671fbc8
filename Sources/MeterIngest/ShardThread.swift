import Logging
import MeterCore
import MeterWAL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The aggregation loop of one shard, run on a dedicated thread (not Swift concurrency's
/// cooperative pool: it blocks in `waitForRecords`).
///
/// It drains the shard in bulk, publishes its counts once per drained run, and, when the
/// flusher asks for a round, collects its aggregator's deltas on this thread (the aggregator
/// has one owner) and posts them. On stop it drains the shard to the end and posts a final
/// round.
struct ShardLoop: Sendable {
    /// The round posted at shutdown, after the shard was drained to the end.
    static let finalRound = -1
    /// How long the thread sleeps on an empty shard before checking for a flush or a stop.
    static let idleWait = Duration.milliseconds(20)
    /// Drains between two checks of the flusher's requests while the shard stays busy.
    static let drainsPerCheck = 64

    let engine: MeterEngine
    let shard: Int
    let control: ShardControl
    let mailbox: FlushMailbox
    let stats: AggregateStats
    /// With a data directory: each drained batch is appended to the WAL before it is
    /// aggregated, and each posted round carries the position its deltas cover.
    var log: ShardLog? = nil
    var logger = Logger(label: "meterd")
    /// How long a shard whose batch the full WAL refused waits before offering it again.
    static let fullWait: useconds_t = 5_000

    func run() {
        let consumer = engine.consumer(shard: shard)
        let scratch = log.map { _ in
            UnsafeMutableRawBufferPointer.allocate(
                byteCount: EngineConfiguration.drainBatchBytes(batchBytes: engine.configuration.batchBytes) + WALEntryHeader.bytes,
                alignment: 16)
        }
        defer { scratch?.deallocate() }
        var fullEpisode = false
        // The end of the last entry this shard appended: a marker drained after it was logged
        // (same or later batch) is answered once the WAL is durable up to it.
        var loggedEnd: Int64 = 0
        // False once the shutdown path counts records without logging them.
        var logging = true
        let barriers = engine.barriers
        consumer.onMarker = { [log] _, barrier, tally in
            guard let log, logging else {
                barriers.markerDone(barrier: barrier, tally: tally, durable: false)
                return
            }
            log.wal.whenDurable(loggedEnd) { result in
                let durable = if case .success = result { true } else { false }
                barriers.markerDone(barrier: barrier, tally: tally, durable: durable)
            }
        }
        defer { consumer.onMarker = nil }
        // The WAL hook: log the drained batch, or refuse it while the WAL is full (the batch
        // stays in the consumer, un-aggregated, and draining stops: the ring fills).
        func logBatch(_ records: UnsafeRawBufferPointer, _ count: Int) -> Bool {
            guard let log, let scratch else { return true }
            guard let end = log.append(shard: shard, records: records, recordCount: count, scratch: scratch) else {
                if !fullEpisode {
                    fullEpisode = true
                    logger.warning("WAL full (wal.max_bytes): shard stops draining until a flush releases segments",
                                   metadata: ["shard": "\(shard)"])
                }
                return false
            }
            loggedEnd = end
            if fullEpisode {
                fullEpisode = false
                logger.notice("WAL has room again; shard drains", metadata: ["shard": "\(shard)"])
            }
            return true
        }
        func drain() -> Int {
            log == nil ? consumer.drainOnce() : consumer.drainOnce(log: logBatch)
        }
        var round = 0
        var published = ShardSnapshot()
        func publish() {
            let snapshot = ShardSnapshot(counts: consumer.counts, series: consumer.aggregator.seriesCount)
            if snapshot != published {
                stats.publish(shard: shard, snapshot)
                published = snapshot
            }
        }
        func collect(round: Int) {
            var deltas: [RollupDelta] = []
            consumer.aggregator.collectDeltas(now: wallSeconds(), into: &deltas)
            let ids = consumer.aggregator.takeNewDedupIDs()
            publish()
            mailbox.post(round: round, shard: shard, deltas: deltas, position: log?.coveredPosition(), ids: ids)
        }
        while true {
            stats.recordTurn(shard: shard)
            var emptied = false
            for _ in 0..<Self.drainsPerCheck where drain() == 0 {
                emptied = true
                break
            }
            publish()
            for source in barriers.takeClosed(shard: shard) { consumer.sourceTallies[source] = nil }
            let requested = control.requestedRound
            if requested != round {
                round = requested
                collect(round: round)
            }
            if control.isStopping {
                if log == nil {
                    consumer.drainAll()
                } else {
                    consumer.drainAll(log: logBatch)
                    if consumer.isHoldingBatch {
                        // No flush can release the WAL any more: count the rest without logging
                        // it rather than drop it. The final flush commits it; if that fails it
                        // is lost (as without a WAL), never counted twice (it is in no entry).
                        logging = false
                        let unlogged = consumer.drainAll { _, _ in true }
                        logger.warning("WAL full at shutdown: the rest of the ring was counted without being logged",
                                       metadata: ["shard": "\(shard)", "records": "\(unlogged)"])
                    }
                }
                collect(round: Self.finalRound)
                return
            }
            if consumer.isHoldingBatch {
                usleep(Self.fullWait)
            } else if emptied {
                _ = engine.ring.waitForRecords(shard: shard, timeout: Self.idleWait)
            }
        }
    }
}

/// Starts one detached POSIX thread per shard and reports when they have all returned.
final class ShardThreads: Sendable {
    private let running: Mutex<Int>

    init(loops: [ShardLoop]) {
        running = Mutex(loops.count)
        for loop in loops {
            let box = Unmanaged.passRetained(ThreadBody(loop: loop, threads: self))
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, shardThreadEntry, box.toOpaque())
            precondition(result == 0, "pthread_create failed: \(result)")
            pthread_detach(thread)
        }
    }

    fileprivate func exited() {
        running.withLock { $0 -= 1 }
    }

    var allExited: Bool { running.withLock { $0 == 0 } }

    func waitUntilExited() async {
        while !allExited {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}

private final class ThreadBody: Sendable {
    let loop: ShardLoop
    let threads: ShardThreads
    init(loop: ShardLoop, threads: ShardThreads) {
        self.loop = loop
        self.threads = threads
    }
}

#if canImport(Glibc)
private func shardThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
    body.loop.run()
    body.threads.exited()
    return nil
}
#else
private func shardThreadEntry(_ argument: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue()
    body.loop.run()
    body.threads.exited()
    return nil
}
#endif
