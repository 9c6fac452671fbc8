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
    let engine: MeterEngine
    let sink: any RollupSink
    let flushInterval: Duration
    let stats: AggregateStats
    let flushStats: FlushStats
    let logger: Logger

    public init(engine: MeterEngine, sink: any RollupSink, flushInterval: Duration, stats: AggregateStats,
                flushStats: FlushStats, logger: Logger) {
        self.engine = engine
        self.sink = sink
        self.flushInterval = flushInterval
        self.stats = stats
        self.flushStats = flushStats
        self.logger = logger
    }

    public func run() async throws {
        let shardCount = engine.configuration.shardCount
        let control = ShardControl()
        let mailbox = FlushMailbox(shardCount: shardCount)
        let threads = ShardThreads(loops: (0..<shardCount).map {
            ShardLoop(engine: engine, shard: $0, control: control, mailbox: mailbox, stats: stats)
        })
        logger.info("aggregation started", metadata: [
            "shards": "\(shardCount)", "flush.interval": "\(flushInterval)",
        ])
        var flusher = Flusher(sink: sink, stats: flushStats, logger: logger)
        var round = 0
        let clock = ContinuousClock()
        var nextFlush = clock.now + flushInterval
        let tick = min(flushInterval, .milliseconds(20))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: tick)
            guard clock.now >= nextFlush else { continue }
            let start = clock.now
            round += 1
            control.requestFlush(round: round)
            let deltas = await Self.take(round: round, from: mailbox)
            flusher.flush(deltas, startedAt: start)
            nextFlush = clock.now + flushInterval
        }

        // Graceful shutdown: the listeners are closed; drain the ring and flush what is left.
        let start = clock.now
        control.stop()
        let deltas = await Self.take(round: ShardLoop.finalRound, from: mailbox)
        await threads.waitUntilExited()
        let complete = flusher.flush(deltas, startedAt: start)
        let accepted = stats.snapshots().map(\.counts.accepted).reduce(0, +)
        logger.info("final flush", metadata: [
            "flush.deltas": "\(deltas.count)", "flush.complete": "\(complete)",
            "flush.unwritten_deltas": "\(flusher.unwritten.count)", "events.accepted": "\(accepted)",
        ])
    }

    private static func take(round: Int, from mailbox: FlushMailbox) async -> [RollupDelta] {
        while true {
            if let deltas = mailbox.take(round: round) { return deltas }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
