import Logging

/// A run of failed flushes, from the first failed write to the next committed one: logged
/// once when it starts and once when it ends, never once per retry.
struct FlushOutage {
    let started: ContinuousClock.Instant
    var failedAttempts = 0
    /// Rows the write that ended the outage committed.
    var rowsWritten = 0

    func logStarted(error: any Error, pendingRows: Int, logger: Logger) {
        logger.error("flush failing: rollups are kept in memory and retried with backoff", metadata: [
            "flush.pending_rows": "\(pendingRows)", "error": "\(error)",
        ])
    }

    func logEnded(now: ContinuousClock.Instant, logger: Logger) {
        let seconds = Double((now - started).components.seconds)
            + Double((now - started).components.attoseconds) / 1e18
        logger.notice("flush recovered", metadata: [
            "flush.outage_seconds": "\((seconds * 10).rounded() / 10)",
            "flush.failed_attempts": "\(failedAttempts)",
            "flush.rows_written": "\(rowsWritten)",
        ])
    }
}
