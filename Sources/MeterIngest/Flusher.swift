import Logging
import MeterCore
import Metrics

/// Writes collected deltas to the sink on the writer thread, retrying with backoff.
///
/// Never blocks: the aggregation loop calls `add` with each round's deltas and `step` on every
/// tick. Deltas wait in `pending`, folded by row, so memory is bounded by distinct rows. A
/// write takes everything pending as one `batch`; if it throws, that same batch is written
/// again, unchanged, after the retry policy's delay (the `RollupSink` contract, which lets a
/// sink whose commit outcome was unknown recognise the retry), while newer rounds keep folding
/// into `pending`. Logs one line when writes start failing and one when they succeed again.
struct Flusher {
    let sink: any RollupSink
    let stats: FlushStats
    let logger: Logger
    let writer: FlushWriterThread
    /// The write-ahead log, when there is one: a batch commits only once the WAL is durable up
    /// to the positions it covers, and each commit releases what every shard is past.
    let log: ShardLog?
    let duration = Metrics.Timer(label: "meterd_flush_seconds")
    private var policy: FlushRetryPolicy
    private var random = SystemRandomNumberGenerator()
    private(set) var pending = PendingRollups()
    /// The batch being written, or whose write failed and is retried unchanged.
    private var batch: [RollupDelta]?
    /// The sink's flush counter value the batch commits as (`B`, docs/queries.md): its
    /// `committedWrites` + 1, read when the write starts, while no write runs (the counter
    /// moves inside `write`, before the flusher learns the write returned). nil when the sink
    /// does not know its counter yet.
    private(set) var batchCommitsAs: Int64?
    /// The WAL positions `pending` covers (the largest per shard of the rounds added), the
    /// positions `batch` covers (kept with it for a retry), and those last committed.
    private(set) var pendingCut = WALCut()
    private var batchCut = WALCut()
    private(set) var committedCut = WALCut()
    /// The idempotency keys counted in the events `pending` covers, and those `batch` covers
    /// (kept with it for a retry): committed with the deltas (docs/dedup.md "Restarts").
    private(set) var pendingIDs = SeenIDs()
    private var batchIDs = SeenIDs()
    /// The most keys kept in `pendingIDs` while writes fail; beyond it the oldest are dropped
    /// (they are then not deduplicated across a restart). 0: no bound.
    var maxPendingIDs = 0
    /// Keys dropped at `maxPendingIDs`.
    private(set) var droppedIDs = 0
    private var attempt: FlushAttempt?
    private var nextAttempt = ContinuousClock.now
    /// While set, `step` starts no write (one already running finishes): a usage query holds
    /// the flush between its snapshot of the uncommitted rows and its PostgreSQL read, so at
    /// most the batch of its snapshot commits meanwhile (docs/queries.md, step 2).
    var holdsWrites = false
    private var outage: FlushOutage?

    init(sink: any RollupSink, stats: FlushStats, logger: Logger, writer: FlushWriterThread,
         policy: FlushRetryPolicy = FlushRetryPolicy(), log: ShardLog? = nil) {
        self.sink = sink
        self.log = log
        self.stats = stats
        self.logger = logger
        self.writer = writer
        self.policy = policy
    }

    /// Rows not yet committed: pending plus the batch in flight or awaiting retry.
    var pendingRows: Int { pending.rowCount + (batch?.count ?? 0) }
    /// Nothing left to write and no write running.
    /// Nothing left to write and no write running (WAL positions included).
    var isIdle: Bool {
        batch == nil && pending.isEmpty && pendingIDs.isEmpty && attempt == nil && !pendingCut.isAhead(of: committedCut)
    }
    var isWriting: Bool { attempt != nil }

    /// The rows of `selection` not known to be committed: those pending, and those of the
    /// batch being written or awaiting its retry (nil when there is none). Read-only.
    func uncommitted(of selection: SeriesSelection) -> (pending: [RollupDelta], batch: [RollupDelta]?) {
        (pending.rows(where: { selection.matches($0) }), batch.map { $0.filter { selection.matches($0.seriesKey) } })
    }

    /// Whether a write runs whose `batchCommitsAs` is not known (it started before the sink
    /// had read its counter, at start-up): a query waits for it to end.
    var isWritingWithoutCommitCounter: Bool { attempt != nil && batchCommitsAs == nil }

    /// With no write running the sink's counter cannot move: reads `batchCommitsAs` again for a
    /// batch awaiting its retry (the counter may have become known since its write started).
    mutating func readBatchCommitsAsWhileIdle() {
        if batch != nil && attempt == nil { batchCommitsAs = sink.committedWrites.map { $0 + 1 } }
    }

    mutating func add(_ deltas: [RollupDelta], cut: WALCut = WALCut(), ids: SeenIDs = SeenIDs()) {
        pending.add(contentsOf: deltas)
        pendingCut.merge(cut)
        pendingIDs.merge(ids)
        if maxPendingIDs > 0 && pendingIDs.count > maxPendingIDs {
            droppedIDs += pendingIDs.trim(toAtMost: maxPendingIDs)
        }
        stats.recordPending(rows: pendingRows)
    }

    /// Takes a finished write's outcome and starts the next write when one is due.
    mutating func step(now: ContinuousClock.Instant = .now) {
        if let attempt, let result = attempt.result {
            self.attempt = nil
            finish(attempt, result, now: now)
        }
        guard attempt == nil, now >= nextAttempt, !holdsWrites else { return }
        if batch == nil {
            // With a WAL, positions that moved are committed even without deltas (events the
            // limits refused), so the WAL can release and a restart has nothing to replay.
            guard !pending.isEmpty || !pendingIDs.isEmpty || pendingCut.isAhead(of: committedCut) else { return }
            batch = pending.take()
            batchCut = pendingCut
            batchIDs = pendingIDs.take()
        }
        guard let batch else { return }
        batchCommitsAs = sink.committedWrites.map { $0 + 1 }
        let attempt = FlushAttempt(rows: batch.count, started: now)
        self.attempt = attempt
        let sink = sink
        let log = log
        let cut = batchCut
        let ids = batchIDs
        writer.submit {
            attempt.finish(Result {
                guard let log else {
                    return ids.isEmpty ? try sink.write(batch) : try sink.write(batch, covering: nil, ids: ids)
                }
                // Never commit deltas ahead of the WAL's durable end.
                log.waitDurable(cut)
                try sink.write(batch, covering: cut, ids: ids)
                log.committed(cut)
            })
        }
    }

    private mutating func finish(_ attempt: FlushAttempt, _ result: Result<Void, any Error>,
                                 now: ContinuousClock.Instant) {
        switch result {
        case .success:
            batch = nil
            batchIDs = SeenIDs()
            committedCut = batchCut
            policy.succeeded()
            nextAttempt = now
            duration.recordInterval(since: attempt.started)
            stats.recordSuccess(pendingRows: pendingRows)
            if var outage {
                outage.rowsWritten = attempt.rows
                outage.logEnded(now: now, logger: logger)
                self.outage = nil
            }
            logger.debug("flushed", metadata: ["flush.rows": "\(attempt.rows)"])
        case .failure(let error):
            let delay = policy.failed(using: &random)
            nextAttempt = now + delay
            stats.recordFailure(pendingRows: pendingRows, consecutive: policy.consecutiveFailures)
            if outage == nil {
                outage = FlushOutage(started: attempt.started)
                outage?.logStarted(error: error, pendingRows: pendingRows, logger: logger)
            }
            outage?.failedAttempts += 1
            logger.debug("flush failed; retrying", metadata: [
                "flush.retry_in": "\(delay)", "flush.pending_rows": "\(pendingRows)", "error": "\(error)",
            ])
        }
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
