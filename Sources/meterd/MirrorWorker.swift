import Logging
import MeterCore
import MeterRedis
import Metrics

/// State owned by the mirror thread alone: the connection, the outage bookkeeping and the
/// resync state (`MirrorWorker+Resync.swift`).
struct MirrorWorker {
    let mirror: RedisMirror
    var connection: RedisConnection?
    var backoff = RedisMirror.initialBackoff
    /// True from a failure until the next successful connect: one log line per outage.
    var down = false
    /// Redis may lag the committed totals: set at start-up, by every connect, a failed,
    /// dropped or malformed round and an error reply; cleared by a successful resync.
    var needsResync = true
    /// Successful resyncs, oldest first: the flush counter C their totals held and the first
    /// bucket per grain they rewrote. A round with counter c <= C is in the hashes of those
    /// buckets; pruned as rounds with higher counters go by.
    var resyncs: [(counter: Int64, openBuckets: [Grain: Int64])] = []
    /// When a resync whose totals could not be read may be tried again, and the delay after it.
    var nextResyncAttempt = ContinuousClock.now
    var resyncBackoff = RedisMirror.initialBackoff
    var errorRepliesLogged = false

    init(mirror: RedisMirror) {
        self.mirror = mirror
    }

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
            if mirror.takeResyncRequest() { markNeedsResync() }
            // Shutdown drains the queue only: a resync could outlast the drain limit.
            if needsResync && !mirror.queue.isClosing && ContinuousClock.now >= nextResyncAttempt {
                resync()
                continue
            }
            let taken: (round: MirrorRound, depth: Int)?
            if needsResync && !mirror.queue.isClosing {
                // Wake up for the next resync attempt even when no round arrives.
                taken = mirror.queue.next(waitingAtMost: max(nextResyncAttempt - ContinuousClock.now, .milliseconds(1)))
                if taken == nil { continue }
            } else {
                taken = mirror.queue.next()
            }
            guard var (round, _) = taken else { return }
            if let counter = round.counter {
                // Rounds come in counter order: older resyncs cannot cover this or later rounds.
                resyncs.removeAll { $0.counter < counter }
                if let covering = resyncs.first {
                    // In the totals of the first resync that read counter >= this round's,
                    // except deltas of buckets that were closed then (late events, a period
                    // that ended just before): it did not rewrite those keys.
                    mirror.metrics.skippedRounds.increment()
                    round.deltas.removeAll { delta in delta.bucketStart >= covering.openBuckets[delta.grain] ?? .min }
                    if round.deltas.isEmpty { continue }
                }
            }
            send(round)
        }
    }

    /// One connection attempt; logs only the first failure of an outage. A connect always asks
    /// for a resync: Redis may have restarted empty, or be another server behind the address.
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
            markNeedsResync()
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

    private mutating func send(_ round: MirrorRound) {
        let batch = mirror.keys.commands(for: round.deltas)
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
            disconnected(connection, error: error, round: "not sent, kept in the queue")
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
                logErrorReplies(errorReplies, first: replies.first { $0.isError })
            }
            mirror.metrics.sent.increment()
        } catch {
            // Part of the pipeline may have run: never resend it (HINCRBY is not idempotent);
            // the resync after the reconnect rewrites the totals.
            mirror.metrics.failed.increment()
            mirror.metrics.error(error.kind.rawValue).increment()
            markNeedsResync()
            disconnected(connection, error: error, round: "failed mid-pipeline, not resent; resync after the reconnect")
        }
    }

    mutating func logErrorReplies(_ count: Int, first: RedisReply?) {
        guard !errorRepliesLogged else { return }
        errorRepliesLogged = true
        mirror.logger.warning("redis mirror: Redis refused some commands (logged once)", metadata: [
            "redis.error_replies": "\(count)", "redis.first_error": "\(first.map { "\($0)" } ?? "")",
        ])
    }

    mutating func disconnected(_ connection: RedisConnection, error: RedisError, round: String) {
        mirror.metrics.connected.record(0)
        connection.close()
        down = true
        mirror.logger.warning("redis mirror disconnected", metadata: [
            "error": "\(error)",
            "redis.round": "\(round)",
        ])
    }

    mutating func markNeedsResync() {
        needsResync = true
        mirror.metrics.needsResync.record(1)
    }
}
