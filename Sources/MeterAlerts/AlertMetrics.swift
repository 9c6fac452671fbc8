import CoreMetrics
import Metrics

/// The metrics of one sink (swift-metrics; the daemon exports them through Prometheus, with
/// `# HELP` text in meterd's `MetricHelp`).
struct SinkMetrics: Sendable {
    let delivered: Counter
    let retried: Counter
    let queueDepth: Gauge
    let latency: Timer
    let sink: String

    init(sink: String) {
        self.sink = sink
        delivered = Counter(label: "meterd_alert_deliveries_total", dimensions: [("sink", sink)])
        retried = Counter(label: "meterd_alert_delivery_retries_total", dimensions: [("sink", sink)])
        queueDepth = Gauge(label: "meterd_alert_queue_depth", dimensions: [("sink", sink)])
        latency = Timer(label: "meterd_alert_delivery_seconds", dimensions: [("sink", sink)])
    }

    /// A failed attempt (it may still be retried), by reason.
    func attemptFailed(_ reason: String) {
        Counter(label: "meterd_alert_attempt_errors_total", dimensions: [("sink", sink), ("reason", reason)]).increment()
    }

    /// A delivery given up for good, by reason (`http_4xx`, `expired`, `queue_full`, ...).
    func failed(_ reason: String) {
        Counter(label: "meterd_alert_delivery_failures_total", dimensions: [("sink", sink), ("reason", reason)]).increment()
    }
}

/// The dispatcher's own metrics: what was recorded and what the record could not take.
struct DispatcherMetrics: Sendable {
    let fired = Counter(label: "meterd_alerts_recorded_total", dimensions: [("result", "fired")])
    let alreadyFired = Counter(label: "meterd_alerts_recorded_total", dimensions: [("result", "already_fired")])
    let recovered = Counter(label: "meterd_alerts_recovered_total")
    let queueDepth = Gauge(label: "meterd_alert_record_queue_depth")

    func dropped(_ reason: String) {
        Counter(label: "meterd_alerts_dropped_total", dimensions: [("reason", reason)]).increment()
    }

    func recordError(_ kind: String) {
        Counter(label: "meterd_alert_record_errors_total", dimensions: [("kind", kind)]).increment()
    }
}
