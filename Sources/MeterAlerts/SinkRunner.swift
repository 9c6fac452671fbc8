import CoreMetrics
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The end of one delivery at one sink, for the outbox (`meterd.alert_deliveries`).
public struct DeliveryReport: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case delivered, failed
    }

    public var id: String
    public var sink: String
    public var state: State
    public var attempts: Int
    /// Why it failed (nil when delivered).
    public var reason: String?
}

/// Runs one sink: its bounded queue and its thread, which takes deliveries in order and
/// retries the one at the head on the `RetrySchedule` until it is delivered, refused for good,
/// or past the horizon. Strict order keeps "highest level first" for alerts crossed together.
///
/// `submit` never blocks: a full queue refuses the delivery (counted, reason `queue_full`);
/// its outbox row stays pending and is sent again after a restart. On `stop` the thread ends
/// after its current attempt; what is still queued stays pending in the outbox the same way.
public final class SinkRunner: Sendable {
    public let sink: any AlertSink
    let queue: BlockingQueue<AlertDelivery>
    let schedule: RetrySchedule
    let metrics: SinkMetrics
    private let report: @Sendable (DeliveryReport) -> Void
    private let finished = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    /// Counts for tests and logs: deliveries delivered, retries scheduled, deliveries failed.
    let deliveredCount = Atomic<Int>(0)
    let retriedCount = Atomic<Int>(0)
    let failedCount = Atomic<Int>(0)

    init(sink: any AlertSink, capacity: Int, schedule: RetrySchedule, report: @escaping @Sendable (DeliveryReport) -> Void) {
        let metrics = SinkMetrics(sink: sink.name)
        self.sink = sink
        self.schedule = schedule
        self.metrics = metrics
        self.report = report
        queue = BlockingQueue(capacity: capacity) { metrics.queueDepth.record($0) }
        metrics.queueDepth.record(0)
    }

    /// Queues `delivery`; false when the queue was full or stopping (counted as `queue_full`).
    @discardableResult
    func submit(_ delivery: AlertDelivery) -> Bool {
        guard queue.push(delivery) else {
            metrics.failed("queue_full")
            return false
        }
        return true
    }

    func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        startThread { [self] in
            var generator = SystemRandomNumberGenerator()
            while let delivery = queue.next() {
                deliver(delivery, random: &generator)
            }
            sink.close()
            finished.store(true, ordering: .releasing)
        }
    }

    /// Closes the queue; the thread ends after its current attempt.
    func stop() { queue.close() }

    var isFinished: Bool { finished.load(ordering: .acquiring) || !started.load(ordering: .acquiring) }

    private func deliver(_ delivery: AlertDelivery, random: inout SystemRandomNumberGenerator) {
        let start = ContinuousClock.now
        var attempts = 0
        while true {
            attempts += 1
            switch sink.attempt(delivery) {
            case .delivered:
                metrics.delivered.increment()
                metrics.latency.recordNanoseconds(Int64((ContinuousClock.now - start).nanoseconds))
                deliveredCount.add(1, ordering: .relaxed)
                report(DeliveryReport(id: delivery.id, sink: sink.name, state: .delivered, attempts: attempts))
                return
            case .permanent(let reason):
                metrics.attemptFailed(reason)
                give(up: delivery, attempts: attempts, reason: reason)
                return
            case .retry(let reason):
                metrics.attemptFailed(reason)
                let delay = schedule.delay(afterFailures: attempts, random: random.next())
                let elapsed = Duration.seconds(max(0, Int64(time(nil)) - delivery.firedAt))
                guard schedule.allowsRetry(elapsed: elapsed, delay: delay) else {
                    give(up: delivery, attempts: attempts, reason: "expired")
                    return
                }
                metrics.retried.increment()
                retriedCount.add(1, ordering: .relaxed)
                // Stopping cuts the back-off short; the outbox row stays pending for the next start.
                guard queue.sleep(delay) else { return }
            }
        }
    }

    private func give(up delivery: AlertDelivery, attempts: Int, reason: String) {
        metrics.failed(reason)
        failedCount.add(1, ordering: .relaxed)
        report(DeliveryReport(id: delivery.id, sink: sink.name, state: .failed, attempts: attempts, reason: reason))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
