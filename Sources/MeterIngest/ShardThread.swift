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
    /// How often a shard hands its usage tap's counts to the quota tracker: the counts of a
    /// tenant's hour add up in the tap meanwhile (fewer, larger handovers under load), and an
    /// alert still follows its crossing event by about this much (docs/quotas.md).
    static let usagePassInterval = Duration.milliseconds(100)

    let engine: MeterEngine
    let shard: Int
    let control: ShardControl
    let mailbox: FlushMailbox
    let stats: AggregateStats
    /// With a data directory: each drained batch is appended to the WAL before it is
    /// aggregated, and each posted round carries the position its deltas cover.
    var log: ShardLog? = nil
    var logger = Logger(label: "meterd")
    /// Usage queries' requests for this shard's un-collected deltas (docs/queries.md).
    var snapshots: ShardSnapshotRequests? = nil
    /// Receives what the aggregator's usage tap counted, once per turn, before snapshot
    /// requests are answered (docs/quotas.md): the quota tracker.
    var usageSink: (@Sendable ([ShardUsageTap.Delta]) -> Void)? = nil
    /// How long a shard whose batch the full WAL refused waits before offering it again.
    static let fullWait: useconds_t = 5_000
    /// How long a shard keeps offering a batch the full WAL refused (every `fullWait`, still
    /// answering flush rounds) before it refuses the batch's events with `wal_full`: a flush
    /// in flight may release segments meanwhile. Once an episode is past it, every batch the
    /// WAL refuses is refused at once until an append succeeds again.
    static let fullGrace = Duration.milliseconds(50)

    /// How much nicer than the event loops this thread runs (`ring.shard_niceness`, Linux
    /// `setpriority` on the thread): under full load the event loops that receive events and
    /// answer checks and queries get the CPU as soon as they are runnable, and the shards take
    /// all that is left, so a check is not queued behind 8 busy shard threads on 2 cores
    /// (docs/benchmarks.md "Entitlement check").
    var niceness = 0

    func run() {
        #if canImport(Glibc)
        // Linux keeps the nice value per thread: `who` 0 is the calling thread only.
        if niceness > 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Int32(niceness)) }
        #endif
        let consumer = engine.consumer(shard: shard)
        let scratch = log.map { _ in
            UnsafeMutableRawBufferPointer.allocate(
                byteCount: EngineConfiguration.drainBatchBytes(batchBytes: engine.configuration.batchBytes) + WALEntryHeader.bytes,
                alignment: 16)
        }
        defer { scratch?.deallocate() }
        // A WAL-full episode: since when the WAL refuses this shard's batches, its oldest
        // segment then (the episode ends with a release, not with the first small batch that
        // still fits: no log line per batch at the edge), and the events refused during it.
        var fullSince: ContinuousClock.Instant? = nil
        var fullOldest: Int64 = 0
        var refusedInEpisode = 0
        var stopping = false
        // The end of the last entry this shard appended: a marker drained after it was logged
        // (same or later batch) is answered once the WAL is durable up to it. A marker in a
        // refused batch too: its earlier records in that batch are refused, not counted.
        var loggedEnd: Int64 = 0
        let barriers = engine.barriers
        // Hands the tap's counts to the quota tracker: at most every `usagePassInterval`, and
        // before a marker is answered, so a `#check` after a `#sync` answer sees the events
        // before the `#sync`.
        var lastUsagePass = ContinuousClock.now
        func passUsage(force: Bool) {
            guard let usageSink, let tap = consumer.aggregator.usageTap else { return }
            let now = ContinuousClock.now
            guard force || now - lastUsagePass >= Self.usagePassInterval else { return }
            lastUsagePass = now
            let deltas = tap.take()
            if !deltas.isEmpty { usageSink(deltas) }
        }
        consumer.onMarker = { [log] _, barrier, tally in
            passUsage(force: true)
            guard let log else {
                barriers.markerDone(barrier: barrier, tally: tally, durable: false)
                return
            }
            log.wal.whenDurable(loggedEnd) { result in
                let durable = if case .success = result { true } else { false }
                barriers.markerDone(barrier: barrier, tally: tally, durable: durable)
            }
        }
        defer { consumer.onMarker = nil }
        // The WAL hook: log the drained batch, or return false while the WAL is full (the
        // batch stays in the consumer, un-aggregated; `drain` decides when to refuse it).
        func logBatch(_ records: UnsafeRawBufferPointer, _ count: Int) -> Bool {
            guard let log, let scratch else { return true }
            guard let end = log.append(shard: shard, records: records, recordCount: count, scratch: scratch) else {
                if fullSince == nil {
                    fullSince = .now
                    fullOldest = log.wal.statistics.oldestLSN
                    logger.warning("WAL full (wal.max_bytes): shard refuses drained events (wal_full) until a flush releases segments",
                                   metadata: ["shard": "\(shard)"])
                }
                return false
            }
            loggedEnd = end
            if fullSince != nil, log.wal.statistics.oldestLSN > fullOldest {
                fullSince = nil
                logger.notice("WAL has room again; shard logs and counts events",
                              metadata: ["shard": "\(shard)", "refused": "\(refusedInEpisode)"])
                refusedInEpisode = 0
            }
            return true
        }
        // Drains one batch; with a WAL, a batch the full WAL refused is refused (wal_full)
        // once the episode is past `fullGrace`, or at once when stopping (no flush will
        // release segments any more), so the ring keeps draining. Returns the records drained
        // (aggregated or refused); 0 when the shard is empty or a refused batch waits.
        func drain() -> Int {
            guard let log else { return consumer.drainOnce() }
            let drained = consumer.drainOnce(log: logBatch)
            guard drained == 0, consumer.isHoldingBatch, let since = fullSince,
                  stopping || ContinuousClock.now - since >= Self.fullGrace else { return drained }
            let before = consumer.counts.refusals[.walFull]
            let records = consumer.refuseBatch(reason: .walFull)
            refusedInEpisode += consumer.counts.refusals[.walFull] - before
            log.countRefusedBatch()
            return records
        }
        var round = 0
        var answeredSnapshots = 0
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
            passUsage(force: false)
            for source in barriers.takeClosed(shard: shard) { consumer.sourceTallies[source] = nil }
            // Snapshot requests are read before the round: a round requested before a query
            // is then collected before the query's answer (docs/queries.md).
            let snapshotsAsked = snapshots?.latestID ?? 0
            let requested = control.requestedRound
            if requested != round {
                round = requested
                collect(round: round)
            }
            if let snapshots, snapshotsAsked != answeredSnapshots {
                snapshots.answer(shard: shard, after: answeredSnapshots, upTo: snapshotsAsked) { selection in
                    var deltas: [RollupDelta] = []
                    consumer.aggregator.peekDeltas(of: selection, into: &deltas)
                    return deltas
                }
                answeredSnapshots = snapshotsAsked
            }
            if control.isStopping {
                stopping = true
                while drain() > 0 {}
                passUsage(force: true)
                if fullSince != nil {
                    logger.warning("WAL still full at shutdown: the rest of the ring was refused (wal_full), not counted",
                                   metadata: ["shard": "\(shard)", "refused": "\(refusedInEpisode)"])
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
            await uncancelledSleep(.milliseconds(2))
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
