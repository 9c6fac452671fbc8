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
///   have run). The connection is dropped, the mirror marks itself `needsResync`, and it
///   reconnects with exponential back-off (`initialBackoff` doubling to `maxBackoff`).
///   Rounds queued meanwhile wait in the queue and are sent once Redis is back.
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

    let endpoint: RedisEndpoint
    let keys: LiveCounterKeys
    let logger: Logger
    let queue: MirrorQueue
    private let finished = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    let metrics: MirrorMetrics

    /// Parses the URL (throws `invalid_url` without repeating it); connects only on its thread.
    init(url: String, keys: LiveCounterKeys = LiveCounterKeys(), logger: Logger) throws(RedisError) {
        self.endpoint = try RedisEndpoint(url: url)
        self.keys = keys
        self.logger = logger
        let metrics = MirrorMetrics()
        self.metrics = metrics
        queue = MirrorQueue(capacity: Self.queueCapacity) { metrics.lag.record($0) }
        metrics.connected.record(0)
        metrics.needsResync.record(0)
        metrics.lag.record(0)
    }

    /// For `--redis URL`: a bad URL stops start-up as a usage error naming the flag.
    convenience init(flag url: String, logger: Logger) throws {
        do {
            try self.init(url: url, logger: logger)
        } catch {
            throw ValidationError("--redis: \(error)")
        }
    }

    /// Called by the flusher after a round was committed. Never blocks on Redis.
    func enqueue(_ deltas: [RollupDelta]) {
        guard !deltas.isEmpty else { return }
        let (_, dropped) = queue.push(deltas)
        if dropped {
            metrics.droppedRounds.increment()
            metrics.needsResync.record(1)
        }
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

    func error(_ kind: String) -> Counter {
        Counter(label: "meterd_redis_mirror_errors_total", dimensions: [("kind", kind)])
    }
}

/// State owned by the mirror thread alone: the connection and the outage bookkeeping.
private struct MirrorWorker {
    let mirror: RedisMirror
    var connection: RedisConnection?
    var backoff = RedisMirror.initialBackoff
    /// True from a failure until the next successful connect: one log line per outage.
    var down = false
    var needsResync = false
    var errorRepliesLogged = false

    mutating func run() {
        while true {
            if connection?.isConnected != true {
                if mirror.queue.isClosing && mirror.queue.depth == 0 { return }
                if !connect() {
                    // While shutting down, one attempt only: shutdown never waits for back-off.
                    if mirror.queue.isClosing { return }
                    mirror.queue.sleep(backoff)
                    backoff = min(backoff * 2, RedisMirror.maxBackoff)
                    continue
                }
            }
            guard let (round, _) = mirror.queue.next() else { return }
            send(round)
        }
    }

    /// One connection attempt; logs only the first failure of an outage.
    private mutating func connect() -> Bool {
        do {
            if let connection {
                try connection.reconnect()
            } else {
                connection = try RedisConnection(endpoint: mirror.endpoint, connectTimeout: RedisMirror.connectTimeout,
                                                 commandTimeout: RedisMirror.commandTimeout)
            }
            mirror.logger.info("redis mirror connected", metadata: [
                "redis.endpoint": "\(mirror.endpoint)", "redis.queued_rounds": "\(mirror.queue.depth)",
                "redis.needs_resync": "\(needsResync)",
            ])
            mirror.metrics.connected.record(1)
            backoff = RedisMirror.initialBackoff
            down = false
            return true
        } catch {
            mirror.metrics.error(error.kind.rawValue).increment()
            if !down {
                down = true
                mirror.logger.warning("redis mirror cannot connect; retrying with back-off", metadata: [
                    "error": "\(error)", "redis.max_backoff_seconds": "\(RedisMirror.maxBackoff.components.seconds)",
                ])
            }
            return false
        }
    }

    private mutating func send(_ round: [RollupDelta]) {
        let batch = mirror.keys.commands(for: round)
        if batch.malformedDeltas > 0 {
            mirror.metrics.error("malformed_delta").increment(by: Int64(batch.malformedDeltas))
            markNeedsResync()
        }
        if batch.unrepresentableIncrements > 0 {
            mirror.metrics.error("unrepresentable").increment(by: Int64(batch.unrepresentableIncrements))
            markNeedsResync()
        }
        guard let connection, !batch.commands.isEmpty else {
            mirror.metrics.sent.increment()
            return
        }
        // A PING first: if Redis went away since the last round, nothing of this round was
        // sent, so it can safely wait in the queue for the reconnect instead of being lost.
        do {
            _ = try connection.command(["PING"])
        } catch {
            mirror.metrics.error(error.kind.rawValue).increment()
            disconnected(connection, error: error, lostRound: false)
            let (_, requeued) = mirror.queue.requeueFront(round)
            if !requeued {
                mirror.metrics.droppedRounds.increment()
                markNeedsResync()
            }
            return
        }
        do {
            let replies = try connection.pipeline(batch.commands)
            let errorReplies = replies.reduce(0) { $0 + ($1.isError ? 1 : 0) }
            if errorReplies > 0 {
                mirror.metrics.error("error_reply").increment(by: Int64(errorReplies))
                markNeedsResync()
                if !errorRepliesLogged {
                    errorRepliesLogged = true
                    mirror.logger.warning("redis mirror: Redis refused some commands (logged once)", metadata: [
                        "redis.error_replies": "\(errorReplies)",
                        "redis.first_error": "\(replies.first { $0.isError }.map { "\($0)" } ?? "")",
                    ])
                }
            }
            mirror.metrics.sent.increment()
        } catch {
            // Part of the pipeline may have run: never resend it (HINCRBY is not idempotent).
            mirror.metrics.failed.increment()
            mirror.metrics.error(error.kind.rawValue).increment()
            markNeedsResync()
            disconnected(connection, error: error, lostRound: true)
        }
    }

    private mutating func disconnected(_ connection: RedisConnection, error: RedisError, lostRound: Bool) {
        mirror.metrics.connected.record(0)
        connection.close()
        down = true
        mirror.logger.warning("redis mirror disconnected", metadata: [
            "error": "\(error)",
            "redis.round": "\(lostRound ? "failed mid-pipeline, not resent" : "not sent, kept in the queue")",
        ])
    }

    private mutating func markNeedsResync() {
        needsResync = true
        mirror.metrics.needsResync.record(1)
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
        // A commit of WAL positions alone has nothing to mirror.
        if !deltas.isEmpty { mirror.enqueue(deltas) }
    }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws {
        try committed.write(deltas, covering: cut, ids: ids)
        if !deltas.isEmpty { mirror.enqueue(deltas) }
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
