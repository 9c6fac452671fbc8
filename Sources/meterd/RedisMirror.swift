import ArgumentParser
import Logging
import MeterCore
import MeterIngest
import MeterRedis
import Metrics
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mirrors committed flush rounds into Redis (`--redis URL`), the key layout of
/// `LiveCounterKeys` (docs/redis.md): best effort, off the ingest path.
///
/// - The flusher hands over each round only after the durable write committed
///   (`MirroredRollupSink`), through a bounded queue (`queueCapacity` rounds; when full the
///   oldest round is dropped and counted): `enqueue` never blocks and never throws.
/// - One dedicated thread owns the blocking `RedisConnection`, turns each round into one
///   pipeline (`LiveCounterKeys.commands(for:)`) and sends it.
/// - A pipeline that throws is never sent again (`HINCRBY` is not idempotent: part of it may
///   have run). The connection is dropped and the mirror reconnects with exponential back-off
///   (`initialBackoff` doubling to `maxBackoff`). Rounds queued meanwhile wait in the queue.
/// - Resync (`MirrorWorker+Resync.swift`): after every connect (start-up included), a failed
///   or dropped round and an error reply, the open periods' hashes are rewritten with absolute
///   totals from `totals` (PostgreSQL, or the in-memory sink without it), read together with
///   the flush counter C they hold; queued and later rounds with counter <= C are discarded.
/// - Shutdown: this service is stopped after aggregation's final flush; it sends what is
///   queued for at most `shutdownDrainLimit`, then gives up (the rest is counted as dropped).
///
/// It lives in the executable because it joins `MeterIngest` (the sink seam) and `MeterRedis`,
/// adapters that never import each other.
final class RedisMirror: Service, Sendable {
    /// Rounds held while Redis is slow or away (64 rounds = 10.7 minutes at the default 10 s
    /// flush interval); beyond it the oldest round is dropped.
    static let queueCapacity = 64
    static let connectTimeout = Duration.seconds(1)
    static let commandTimeout = Duration.seconds(2)
    static let initialBackoff = Duration.milliseconds(250)
    static let maxBackoff = Duration.seconds(5)
    /// How long shutdown waits for queued rounds to reach Redis.
    static let shutdownDrainLimit = Duration.seconds(2)
    /// The most keys one resync rewrites (open hour, day and month keys together); beyond it
    /// the first keys in (tenant, metric, type, grain, bucket) order are written, the rest are
    /// left as they are, no stale key is deleted, and `needs_resync` stays 1.
    static let resyncKeyLimit = 200_000
    /// Keys per resync pipeline (5 commands each): one round trip well under `commandTimeout`.
    static let resyncKeysPerPipeline = 1_000
    /// `SCAN ... COUNT` of the stale-key pass: keys Redis examines per call.
    static let resyncScanCount = 1_000

    let endpoint: RedisEndpoint
    let keys: LiveCounterKeys
    let logger: Logger
    let queue: MirrorQueue
    /// Where a resync reads absolute totals.
    let totals: any LiveTotalsSource
    /// Set by the producer when it drops a round (full queue); the mirror thread takes it.
    private let resyncRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    let metrics: MirrorMetrics

    /// Parses the URL (throws `invalid_url` without repeating it); connects only on its thread.
    init(url: String, keys: LiveCounterKeys, totals: any LiveTotalsSource, logger: Logger) throws(RedisError) {
        self.endpoint = try RedisEndpoint(url: url)
        self.keys = keys
        self.totals = totals
        self.logger = logger
        let metrics = MirrorMetrics()
        self.metrics = metrics
        queue = MirrorQueue(capacity: Self.queueCapacity) { metrics.lag.record($0) }
        metrics.connected.record(0)
        metrics.needsResync.record(1)  // until the start-up resync succeeded
        metrics.lag.record(0)
    }

    /// For `--redis URL`: a bad URL stops start-up as a usage error naming the flag.
    convenience init(flag url: String, keys: LiveCounterKeys, totals: any LiveTotalsSource, logger: Logger) throws {
        do {
            try self.init(url: url, keys: keys, totals: totals, logger: logger)
        } catch {
            throw ValidationError("--redis: \(error)")
        }
    }

    /// Called by the flusher after a round was committed. Never blocks on Redis.
    func enqueue(_ deltas: [RollupDelta], counter: Int64?) {
        guard !deltas.isEmpty else { return }
        let (_, dropped) = queue.push(MirrorRound(deltas: deltas, counter: counter))
        if dropped {
            metrics.droppedRounds.increment()
            metrics.needsResync.record(1)
            resyncRequested.store(true, ordering: .releasing)
        }
    }

    /// True once after a round was dropped from the full queue (the mirror thread asks).
    func takeResyncRequest() -> Bool {
        resyncRequested.exchange(false, ordering: .acquiringAndReleasing)
    }

    func run() async throws {
        startThread()
        // Returns when graceful shutdown begins (after the final flush: this service is
        // registered first, so it is shut down last); throws if the group is cancelled.
        try? await gracefulShutdown()
        queue.close()
        let deadline = ContinuousClock.now + Self.shutdownDrainLimit
        while !finished.load(ordering: .acquiring) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let discarded = queue.discardAll()
        if discarded > 0 { metrics.droppedRounds.increment(by: Int64(discarded)) }
        logger.info("redis mirror stopped", metadata: [
            "redis.drained": "\(finished.load(ordering: .acquiring))", "redis.discarded_rounds": "\(discarded)",
        ])
    }

    private func startThread() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let box = Unmanaged.passRetained(MirrorThreadBody { [self] in
            var worker = MirrorWorker(mirror: self)
            worker.run()
            finished.store(true, ordering: .releasing)
        })
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, redisMirrorThreadEntry, box.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }
}

/// The mirror's metrics (swift-metrics; the daemon exports them through Prometheus).
struct MirrorMetrics: Sendable {
    let sent = Counter(label: "meterd_redis_mirror_rounds_total", dimensions: [("result", "sent")])
    let failed = Counter(label: "meterd_redis_mirror_rounds_total", dimensions: [("result", "failed")])
    let droppedRounds = Counter(label: "meterd_redis_mirror_dropped_rounds_total")
    let lag = Gauge(label: "meterd_redis_mirror_lag_rounds")
    let connected = Gauge(label: "meterd_redis_mirror_connected")
    let needsResync = Gauge(label: "meterd_redis_mirror_needs_resync")
    /// Rounds discarded because a resync's totals already held them (counter <= C).
    let skippedRounds = Counter(label: "meterd_redis_mirror_skipped_rounds_total")
    let resyncKeys = Counter(label: "meterd_redis_mirror_resync_keys_total", dimensions: [("action", "written")])
    let resyncStaleKeys = Counter(label: "meterd_redis_mirror_resync_keys_total", dimensions: [("action", "deleted")])
    let resyncDuration = Metrics.Timer(label: "meterd_redis_mirror_resync_seconds")

    /// `result`: `ok`, `truncated` (more keys than `resyncKeyLimit`), `incomplete` (error
    /// replies or values too large for Redis), `source_failed` (PostgreSQL), `redis_failed`.
    func resyncs(_ result: String) -> Counter {
        Counter(label: "meterd_redis_mirror_resyncs_total", dimensions: [("result", result)])
    }

    func error(_ kind: String) -> Counter {
        Counter(label: "meterd_redis_mirror_errors_total", dimensions: [("kind", kind)])
    }
}

/// The flusher's sink with `--redis`: the committed write first (PostgreSQL then memory, or
/// memory alone), then, only once it succeeded, the same deltas to the mirror's queue.
struct MirroredRollupSink: RollupSink {
    let committed: any RollupSink
    let mirror: RedisMirror

    func write(_ deltas: [RollupDelta]) throws {
        try write(deltas, covering: nil)
    }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?) throws {
        try committed.write(deltas, covering: cut)
        // A commit of WAL positions alone has nothing to mirror. The counter is read before
        // the next write can start (the flusher writes one batch at a time): this round's.
        if !deltas.isEmpty { mirror.enqueue(deltas, counter: committed.committedWrites) }
    }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws {
        try committed.write(deltas, covering: cut, ids: ids)
        if !deltas.isEmpty { mirror.enqueue(deltas, counter: committed.committedWrites) }
    }

    func prepare() throws { try committed.prepare() }
    var committedWrites: Int64? { committed.committedWrites }
}

private final class MirrorThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private func redisMirrorThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let box = Unmanaged<MirrorThreadBody>.fromOpaque(argument!).takeRetainedValue()
    box.body()
    return nil
}
