import Logging
import MeterCore
import Metrics
import ServiceLifecycle
import Synchronization

/// Turns the totals that workers and shard threads publish into metrics (swift-metrics API;
/// the executable chooses the backend). Counters move by the difference since the previous
/// `refresh()`, which runs every `interval` and before each scrape, so the hot path never
/// calls a metric.
///
/// Names: `meterd_events_received_total{transport}`, `meterd_events_accepted_total`,
/// `meterd_events_refused_total{transport,reason}` (transport `aggregator` for what the shard
/// threads refuse after the ring, whatever the line's transport: the aggregator's limits and
/// `wal_full`), `meterd_events_duplicate_total`, `meterd_ring_dropped_total{reason}`,
/// `meterd_ring_occupancy_bytes{shard}`, `meterd_series{shard}`, `meterd_flush_lag_seconds`,
/// `meterd_flush_pending_rows`, `meterd_flush_consecutive_failures`, `meterd_flush_failures_total`,
/// `meterd_udp_kernel_dropped_total` (the kernel's drops for the UDP socket, from
/// `/proc/net/udp`), `meterd_flush_seconds` (recorded by the flusher) and the `process_*`
/// figures (`ProcessMetrics`).
public final class MetricsReporter: Service, Sendable {
    private struct State {
        var ingest = Transport.allCases.map { _ in IngestCounts() }
        var aggregate = AggregateCounts()
        var refused: [String: Counter] = [:]
        var kernelUDPDrops = 0
        var flushFailures = 0
    }

    let engine: MeterEngine
    let ingestStats: IngestStats
    let aggregateStats: AggregateStats
    let flushStats: FlushStats
    let interval: Duration
    let log: ShardLog?
    private let state = Mutex(State())

    private let received = Transport.allCases.map {
        Counter(label: "meterd_events_received_total", dimensions: [("transport", $0.label)])
    }
    private let accepted = Counter(label: "meterd_events_accepted_total")
    private let duplicates = Counter(label: "meterd_events_duplicate_total")
    private let ringFull = Counter(label: "meterd_ring_dropped_total", dimensions: [("reason", "ring_full")])
    private let oversized = Counter(label: "meterd_ring_dropped_total", dimensions: [("reason", "oversized")])
    private let occupancy: [Gauge]
    private let series: [Gauge]
    private let kernelUDPDrops = Counter(label: "meterd_udp_kernel_dropped_total")
    private let flushLag = Gauge(label: "meterd_flush_lag_seconds")
    private let pendingRows = Gauge(label: "meterd_flush_pending_rows")
    private let consecutiveFailures = Gauge(label: "meterd_flush_consecutive_failures")
    private let flushFailures = Counter(label: "meterd_flush_failures_total")
    private let process = ProcessMetrics()

    public init(engine: MeterEngine, ingestStats: IngestStats, aggregateStats: AggregateStats,
                flushStats: FlushStats, interval: Duration = .seconds(1), log: ShardLog? = nil) {
        self.engine = engine
        self.log = log
        self.ingestStats = ingestStats
        self.aggregateStats = aggregateStats
        self.flushStats = flushStats
        self.interval = interval
        occupancy = (0..<engine.configuration.shardCount).map {
            Gauge(label: "meterd_ring_occupancy_bytes", dimensions: [("shard", String($0))])
        }
        series = (0..<engine.configuration.shardCount).map {
            Gauge(label: "meterd_series", dimensions: [("shard", String($0))])
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            refresh()
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        refresh()
    }

    /// Brings every metric up to date with the published totals.
    public func refresh() {
        let ingest = Transport.allCases.map { ingestStats.totals($0) }
        let shards = aggregateStats.snapshots()
        let kernelDrops = ingestStats.kernelUDPDrops.total()
        let flushFailureCount = flushStats.failures
        var aggregate = AggregateCounts()
        for shard in shards {
            aggregate.accepted += shard.counts.accepted
            aggregate.duplicates += shard.counts.duplicates
            for reason in RefusalReason.allCases { aggregate.refusals[reason] += shard.counts.refusals[reason] }
        }
        state.withLock { state in
            for transport in Transport.allCases {
                let now = ingest[transport.rawValue]
                let before = state.ingest[transport.rawValue]
                add(received[transport.rawValue], now.lines - before.lines)
                add(ringFull, now.droppedRingFull - before.droppedRingFull)
                add(oversized, now.droppedOversized - before.droppedOversized)
                for reason in RefusalReason.allCases {
                    add(refusedCounter(transport.label, reason, &state), now.refusals[reason] - before.refusals[reason])
                }
            }
            add(accepted, aggregate.accepted - state.aggregate.accepted)
            add(duplicates, aggregate.duplicates - state.aggregate.duplicates)
            for reason in RefusalReason.allCases {
                add(refusedCounter("aggregator", reason, &state), aggregate.refusals[reason] - state.aggregate.refusals[reason])
            }
            if let kernelDrops {
                add(kernelUDPDrops, kernelDrops - state.kernelUDPDrops)
                state.kernelUDPDrops = kernelDrops
            }
            add(flushFailures, flushFailureCount - state.flushFailures)
            state.flushFailures = flushFailureCount
            state.ingest = ingest
            state.aggregate = aggregate
        }
        for shard in shards.indices {
            occupancy[shard].record(engine.ring.occupancy(shard: shard).bytes)
            series[shard].record(shards[shard].series)
        }
        flushLag.record(flushStats.lagSeconds)
        pendingRows.record(flushStats.pendingRows)
        consecutiveFailures.record(flushStats.consecutiveFailures)
        process.refresh()
        log?.refreshMetrics()
    }

    private func add(_ counter: @autoclosure () -> Counter, _ amount: Int) {
        if amount > 0 { counter().increment(by: amount) }
    }

    /// Refusal counters are made on first use, so only reasons that occurred appear.
    private func refusedCounter(_ transport: String, _ reason: RefusalReason, _ state: inout State) -> Counter {
        let key = transport + "/" + reason.label
        if let counter = state.refused[key] { return counter }
        let counter = Counter(label: "meterd_events_refused_total",
                              dimensions: [("transport", transport), ("reason", reason.label)])
        state.refused[key] = counter
        return counter
    }
}
