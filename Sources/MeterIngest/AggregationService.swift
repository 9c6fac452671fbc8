import Logging
import MeterCore
import ServiceLifecycle

/// The consuming half of the daemon: one aggregation thread per shard, and the flusher that
/// asks them for deltas every flush interval and writes those to the `RollupSink`.
///
/// Start it before the listeners: `ServiceGroup` shuts services down in reverse order, so by
/// the time this service sees graceful shutdown every listener is closed and every connection
/// has pushed its last record. It then stops the threads, which drain their shards to the end,
/// and writes a final flush.
public struct AggregationService: Service {
    /// Default bound on rows waiting for the sink (`maxPendingRows`).
    public static let defaultMaxPendingRows = 3_000_000
    /// How long shutdown keeps retrying the final flush after the shards are drained.
    public static let defaultFinalFlushWindow = Duration.seconds(5)

    let engine: MeterEngine
    let sink: any RollupSink
    let flushInterval: FlushInterval
    let stats: AggregateStats
    let flushStats: FlushStats
    let logger: Logger
    /// While this many rows wait for the sink, no new round is collected: the deltas stay in
    /// the shard aggregators (bounded by their own limits) until writes succeed again.
    let maxPendingRows: Int
    let retryPolicy: FlushRetryPolicy
    let finalFlushWindow: Duration
    /// The write-ahead log (with a data directory): see `ShardLog` and docs/durability.md.
    let log: ShardLog?
    /// Where usage queries ask the shard threads for their un-collected deltas.
    public let snapshots: ShardSnapshotRequests
    /// Usage queries waiting for the loop (`UsageQueries` posts them), and where they read
    /// the flushed rollups (nil: queries fail as unavailable).
    public let queries = UsageQueryMailbox()
    let usageStore: (any UsageStore)?
    /// Receives each shard turn's usage-tap counts (the quota tracker, docs/quotas.md).
    public var usageSink: (@Sendable ([ShardUsageTap.Delta]) -> Void)? = nil
    /// `ring.shard_niceness` of the shard threads (0: as the rest of the process).
    public var shardNiceness = 0

    public init(engine: MeterEngine, sink: any RollupSink, flushInterval: FlushInterval, stats: AggregateStats,
                flushStats: FlushStats, logger: Logger, maxPendingRows: Int = Self.defaultMaxPendingRows,
                retryPolicy: FlushRetryPolicy = FlushRetryPolicy(),
                finalFlushWindow: Duration = Self.defaultFinalFlushWindow, log: ShardLog? = nil,
                usageStore: (any UsageStore)? = nil) {
        precondition(maxPendingRows > 0, "maxPendingRows must be positive")
        self.log = log
        self.usageStore = usageStore
        let ring = engine.ring
        snapshots = ShardSnapshotRequests(shardCount: engine.configuration.shardCount) { ring.wakeConsumer(shard: $0) }
        self.engine = engine
        self.sink = sink
        self.flushInterval = flushInterval
        self.stats = stats
        self.flushStats = flushStats
        self.logger = logger
        self.maxPendingRows = maxPendingRows
        self.retryPolicy = retryPolicy
        self.finalFlushWindow = finalFlushWindow
    }

    /// With a fixed flush interval.
    public init(engine: MeterEngine, sink: any RollupSink, flushInterval: Duration, stats: AggregateStats,
                flushStats: FlushStats, logger: Logger, maxPendingRows: Int = Self.defaultMaxPendingRows,
                retryPolicy: FlushRetryPolicy = FlushRetryPolicy(),
                finalFlushWindow: Duration = Self.defaultFinalFlushWindow) {
        self.init(engine: engine, sink: sink, flushInterval: FlushInterval(flushInterval), stats: stats,
                  flushStats: flushStats, logger: logger, maxPendingRows: maxPendingRows, retryPolicy: retryPolicy,
                  finalFlushWindow: finalFlushWindow)
    }

    public func run() async throws {
        let shardCount = engine.configuration.shardCount
        let control = ShardControl()
        let mailbox = FlushMailbox(shardCount: shardCount)
        let threads = ShardThreads(loops: (0..<shardCount).map {
            ShardLoop(engine: engine, shard: $0, control: control, mailbox: mailbox, stats: stats, log: log, logger: logger,
                      snapshots: snapshots, usageSink: usageSink, niceness: shardNiceness)
        })
        let writer = FlushWriterThread()
        defer { writer.stop() }
        let queryThread = FlushWriterThread()
        defer { queryThread.stop() }
        var usage = UsageQueryRunner(mailbox: queries, snapshots: snapshots, store: usageStore, thread: queryThread)
        // Connect and migrate at start-up, on the writer thread (it blocks); a failure only
        // means the first flush connects instead.
        writer.submit { [sink] in try? sink.prepare() }
        logger.info("aggregation started", metadata: [
            "shards": "\(shardCount)", "flush.interval": "\(flushInterval.current)",
        ])
        var flusher = Flusher(sink: sink, stats: flushStats, logger: logger, writer: writer, policy: retryPolicy, log: log)
        // Ids waiting for a failing flush: at most what the windows can hold (docs/dedup.md).
        flusher.maxPendingIDs = shardCount * engine.configuration.dedupMaxEntries
        var round = 0
        var holding = false
        let clock = ContinuousClock()
        var lastRound = clock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The interval may change while running (reload): read it on every tick.
            let interval = flushInterval.current
            // A usage query ends the sleep at once (docs/queries.md "Latency").
            await queries.wake.wait(upTo: min(interval, .milliseconds(20)))
            flushStats.recordLoopIteration()
            flusher.step()
            await usage.serve(&flusher)
            guard clock.now >= lastRound + interval else { continue }
            lastRound = clock.now
            // Bounded memory: past the limit the deltas wait in the aggregators, uncollected.
            if flusher.pendingRows >= maxPendingRows {
                if !holding { logger.warning("flush pending rows at the limit; deltas wait in the aggregators",
                                             metadata: ["flush.pending_rows": "\(flusher.pendingRows)"]) }
                holding = true
                continue
            }
            holding = false
            round += 1
            control.requestFlush(round: round)
            // Idle shard threads sleep up to `ShardLoop.idleWait`: wake them, so the loop (and
            // a usage query waiting for it) does not wait that long for the round.
            for shard in 0..<shardCount { engine.ring.wakeConsumer(shard: shard) }
            let taken = await Self.take(round: round, from: mailbox)
            flusher.add(taken.deltas, cut: taken.cut, ids: taken.ids)
            flusher.step()
        }

        // Graceful shutdown: the listeners are closed; drain the ring and flush what is left,
        // retrying for at most `finalFlushWindow` (a write already running is waited for).
        // Waiting queries fail; a run whose read is under way is answered (and its hold released).
        queries.close()
        await usage.finish(&flusher)
        control.stop()
        let (deltas, cut, ids) = await Self.take(round: ShardLoop.finalRound, from: mailbox)
        await threads.waitUntilExited()
        snapshots.close()
        flusher.add(deltas, cut: cut, ids: ids)
        let deadline = clock.now + finalFlushWindow
        while true {
            flushStats.recordLoopIteration()
            flusher.step()
            if flusher.isIdle || (clock.now >= deadline && !flusher.isWriting) { break }
            await uncancelledSleep(.milliseconds(2))
        }
        let accepted = stats.snapshots().map(\.counts.accepted).reduce(0, +)
        let metadata: Logger.Metadata = [
            "flush.deltas": "\(deltas.count)", "flush.complete": "\(flusher.isIdle)",
            "flush.unwritten_rows": "\(flusher.pendingRows)", "events.accepted": "\(accepted)",
        ]
        if flusher.isIdle {
            logger.info("final flush", metadata: metadata)
        } else {
            logger.error("final flush incomplete: unwritten rows are lost", metadata: metadata)
        }
    }

    private static func take(round: Int, from mailbox: FlushMailbox) async -> (deltas: [RollupDelta], cut: WALCut, ids: SeenIDs) {
        while true {
            if let taken = mailbox.take(round: round) { return taken }
            await uncancelledSleep(.milliseconds(1))
        }
    }
}
