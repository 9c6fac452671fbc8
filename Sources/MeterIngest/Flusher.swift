import Logging
import MeterCore
import Metrics

/// Writes each round's deltas to the sink; keeps what it failed to write and retries it,
/// before newer deltas, on the next round.
struct Flusher {
    let sink: any RollupSink
    let stats: FlushStats
    let logger: Logger
    let duration = Metrics.Timer(label: "meterd_flush_seconds")
    private(set) var unwritten: [RollupDelta] = []

    init(sink: any RollupSink, stats: FlushStats, logger: Logger) {
        self.sink = sink
        self.stats = stats
        self.logger = logger
    }

    /// Returns true when nothing is left unwritten.
    @discardableResult
    mutating func flush(_ deltas: [RollupDelta], startedAt start: ContinuousClock.Instant) -> Bool {
        unwritten.append(contentsOf: deltas)
        if unwritten.isEmpty {
            stats.recordSuccess()
            return true
        }
        do {
            try sink.write(unwritten)
            let written = unwritten.count
            unwritten.removeAll(keepingCapacity: true)
            stats.recordSuccess()
            duration.recordInterval(since: start)
            logger.debug("flushed", metadata: ["flush.deltas": "\(written)"])
            return true
        } catch {
            stats.recordFailure(unwritten: unwritten.count)
            logger.error("flush failed; deltas kept for retry", metadata: [
                "flush.unwritten_deltas": "\(unwritten.count)", "error": "\(error)",
            ])
            return false
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
