import Logging
import MeterCore
import MeterRedis
import Metrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The absolute resync (docs/redis.md "Resync"): the open periods' hashes rewritten from the
/// committed totals, in step with the queue through the flush counter.
extension MirrorWorker {
    /// What one resync did, for the metrics and the log.
    private struct Outcome {
        var written = 0
        var deleted = 0
        var unrepresentable = 0
        var errorReplies = 0
        var firstError: RedisReply?
        var malformedScan = false
    }

    /// Reads the totals and the counter C they hold, rewrites every open-bucket key with them,
    /// deletes this layout's open-bucket keys the totals do not have, then records (C, open
    /// buckets) so rounds with counter <= C skip their deltas of those buckets (`run()`). Idempotent: when Redis fails half-way the connection
    /// is dropped and the resync after the reconnect simply runs again.
    mutating func resync() {
        guard let connection else { return }
        let started = ContinuousClock.now
        let openBuckets = LiveCounterKeys.openBuckets(at: Int64(time(nil)))
        let snapshot: LiveTotalsSnapshot
        do {
            snapshot = try mirror.totals.snapshot(openBuckets: openBuckets, limit: RedisMirror.resyncKeyLimit)
        } catch {
            mirror.metrics.resyncs("source_failed").increment()
            // Once per failure streak, at its third attempt: at start-up the first read may
            // come before the flusher created the schema of a new database.
            if resyncBackoff == RedisMirror.initialBackoff * 4 {
                mirror.logger.warning("redis mirror cannot read the totals to resync; sending rounds meanwhile, retrying with back-off",
                                      metadata: ["error": "\(error)"])
            }
            delayNextResync()
            return
        }

        var outcome = Outcome()
        do {
            let ownKeys = try write(snapshot.totals, on: connection, into: &outcome)
            // A truncated read does not know every key it owns: delete nothing then.
            if !snapshot.truncated {
                try deleteStaleKeys(keeping: ownKeys, openBuckets: openBuckets, on: connection, into: &outcome)
            }
        } catch {
            mirror.metrics.resyncs("redis_failed").increment()
            mirror.metrics.error(error.kind.rawValue).increment()
            mirror.metrics.resyncKeys.increment(by: Int64(outcome.written))
            mirror.metrics.resyncStaleKeys.increment(by: Int64(outcome.deleted))
            disconnected(connection, error: error, round: "resync cut short; runs again after the reconnect")
            // A Redis that accepts connections but keeps failing must not cost a totals read
            // every command timeout.
            delayNextResync()
            return
        }
        resyncBackoff = RedisMirror.initialBackoff

        // Every round up to C is in the hashes just written: never send that part again.
        resyncs.append((snapshot.counter, openBuckets))
        needsResync = false
        let complete = !snapshot.truncated && outcome.unrepresentable == 0 && outcome.errorReplies == 0
            && !outcome.malformedScan
        let result = snapshot.truncated ? "truncated" : complete ? "ok" : "incomplete"
        mirror.metrics.resyncs(result).increment()
        mirror.metrics.resyncKeys.increment(by: Int64(outcome.written))
        mirror.metrics.resyncStaleKeys.increment(by: Int64(outcome.deleted))
        let elapsed = ContinuousClock.now - started
        mirror.metrics.resyncDuration.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        if outcome.unrepresentable > 0 {
            mirror.metrics.error("unrepresentable").increment(by: Int64(outcome.unrepresentable))
        }
        if outcome.errorReplies > 0 {
            mirror.metrics.error("error_reply").increment(by: Int64(outcome.errorReplies))
            logErrorReplies(outcome.errorReplies, first: outcome.firstError)
        }
        // Keys a truncated or incomplete resync could not write stay behind until the next
        // trigger: the gauge says so, but the mirror does not loop on the same failure.
        mirror.metrics.needsResync.record(complete ? 0 : 1)
        let level: Logger.Level = complete ? .info : .warning
        mirror.logger.log(level: level, "redis mirror resynced", metadata: [
            "redis.resync_result": "\(result)", "redis.keys_written": "\(outcome.written)",
            "redis.keys_deleted": "\(outcome.deleted)", "redis.flush_counter": "\(snapshot.counter)",
            "redis.resync_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
    }

    /// The next attempt after a failed one: 0.25 s doubling to `maxBackoff`, reset by success.
    private mutating func delayNextResync() {
        nextResyncAttempt = ContinuousClock.now + resyncBackoff
        resyncBackoff = min(resyncBackoff * 2, RedisMirror.maxBackoff)
    }

    /// Rewrites each key with `LiveCounterKeys.rewrite`, `resyncKeysPerPipeline` keys per
    /// pipeline. Returns every key the totals own (written or not).
    private func write(_ totals: [LiveTotal], on connection: RedisConnection,
                       into outcome: inout Outcome) throws(RedisError) -> Set<String> {
        var ownKeys = Set<String>(minimumCapacity: totals.count)
        var pending: [[String]] = []
        var pendingKeys = 0
        func send(_ outcome: inout Outcome) throws(RedisError) {
            guard !pending.isEmpty else { return }
            let replies = try connection.pipeline(pending)
            for reply in replies {
                count(errorsIn: reply, into: &outcome)
            }
            outcome.written += pendingKeys
            pending.removeAll(keepingCapacity: true)
            pendingKeys = 0
        }
        for total in totals {
            let rewrite = mirror.keys.rewrite(total)
            ownKeys.insert(rewrite.key)
            guard !rewrite.commands.isEmpty else {
                outcome.unrepresentable += 1
                continue
            }
            pending += rewrite.commands
            pendingKeys += 1
            if pendingKeys >= RedisMirror.resyncKeysPerPipeline { try send(&outcome) }
        }
        try send(&outcome)
        return ownKeys
    }

    /// Error replies, including those inside an `EXEC` answer.
    private func count(errorsIn reply: RedisReply, into outcome: inout Outcome) {
        if reply.isError {
            outcome.errorReplies += 1
            if outcome.firstError == nil { outcome.firstError = reply }
        } else if case .array(let elements) = reply {
            for element in elements { count(errorsIn: element, into: &outcome) }
        }
    }

    /// `SCAN`s this layout's keys and `UNLINK`s those of open buckets that the totals do not
    /// have (a previous run's, a wiped database's, a tenant whose rows are gone).
    private func deleteStaleKeys(keeping ownKeys: Set<String>, openBuckets: [Grain: Int64],
                                 on connection: RedisConnection, into outcome: inout Outcome) throws(RedisError) {
        var stale = Set<String>()
        var cursor = "0"
        repeat {
            let reply = try connection.command(["SCAN", cursor, "MATCH", mirror.keys.scanPattern,
                                                "COUNT", String(RedisMirror.resyncScanCount)])
            guard case .array(let parts) = reply, parts.count == 2, let next = parts[0].string,
                  case .array(let found) = parts[1] else {
                count(errorsIn: reply, into: &outcome)
                outcome.malformedScan = true
                return
            }
            for key in found.compactMap(\.string)
            where !ownKeys.contains(key) && mirror.keys.isResynced(key, openBuckets: openBuckets) {
                stale.insert(key)
            }
            cursor = next
        } while cursor != "0"
        let sorted = stale.sorted()
        for start in stride(from: 0, to: sorted.count, by: RedisMirror.resyncKeysPerPipeline) {
            let chunk = sorted[start..<min(start + RedisMirror.resyncKeysPerPipeline, sorted.count)]
            let reply = try connection.command(["UNLINK"] + chunk)
            count(errorsIn: reply, into: &outcome)
            outcome.deleted += chunk.count
        }
    }
}
