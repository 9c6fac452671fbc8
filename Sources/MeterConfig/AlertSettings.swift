/// The `alerts.*` keys: delivery of threshold alerts (docs/alerts.md). Plain values here; the
/// daemon builds `MeterAlerts`' dispatcher and sinks from them, so MeterConfig needs no HTTP
/// client or crypto library.
public struct AlertSettings: Sendable, Hashable {
    /// `alerts.webhook_url`: http(s) URL the signed JSON is POSTed to; off when nil. A secret
    /// (URLs often carry a token): never logged.
    public var webhookURL: String?
    /// `alerts.webhook_secret`: the HMAC-SHA256 key of `Meterd-Signature`; required with a URL.
    /// A secret: never logged or echoed (env `METERD_ALERTS_WEBHOOK_SECRET`).
    public var webhookSecret: String?
    /// `alerts.webhook_timeout_ms`: connect and whole-request timeout of one attempt.
    public var webhookTimeout: Duration = .milliseconds(5000)
    /// `alerts.retry_initial_ms`, `alerts.retry_max_ms`: back-off of a failed delivery, doubling
    /// from the first to the second (with jitter).
    public var retryInitialDelay: Duration = .milliseconds(500)
    public var retryMaxDelay: Duration = .milliseconds(60_000)
    /// `alerts.retry_horizon_seconds`: a delivery not done this long after the alert fired is
    /// given up (counted, reason `expired`), also across restarts.
    public var retryHorizon: Duration = .seconds(3600)
    /// `alerts.redis_channel`: PUBLISHed to when `redis` is set.
    public var redisChannel = "meterd:alerts"
    /// `alerts.notify_channel`: `pg_notify` channel, used when `postgres` is set.
    public var notifyChannel = "meterd_alerts"
    /// `alerts.queue_size`: deliveries waiting per sink; beyond it the delivery waits in the
    /// outbox for the next start (counted, reason `queue_full`).
    public var queueSize = 1000
    /// `alerts.record_queue_size`: `record` calls waiting for PostgreSQL; beyond it they are
    /// dropped (counted, reason `record_queue_full`).
    public var recordQueueSize = 10_000

    public init() {}

    /// The checks across keys and of ranges; nil when the settings are usable.
    public var problems: [String] {
        var problems: [String] = []
        if webhookURL != nil && webhookSecret == nil {
            problems.append("alerts.webhook_secret must be set when alerts.webhook_url is (METERD_ALERTS_WEBHOOK_SECRET)")
        }
        if !(Duration.milliseconds(1)...Duration.seconds(600)).contains(webhookTimeout) {
            problems.append("alerts.webhook_timeout_ms must be between 1 and 600000")
        }
        if !(Duration.milliseconds(1)...Duration.seconds(3600)).contains(retryInitialDelay) {
            problems.append("alerts.retry_initial_ms must be between 1 and 3600000")
        }
        if retryMaxDelay < retryInitialDelay || retryMaxDelay > .seconds(86_400) {
            problems.append("alerts.retry_max_ms must be at least alerts.retry_initial_ms and at most 86400000")
        }
        if !(Duration.seconds(1)...Duration.seconds(30 * 86_400)).contains(retryHorizon) {
            problems.append("alerts.retry_horizon_seconds must be between 1 and 2592000")
        }
        if !(1...1_000_000).contains(queueSize) { problems.append("alerts.queue_size must be between 1 and 1000000") }
        if !(1...10_000_000).contains(recordQueueSize) {
            problems.append("alerts.record_queue_size must be between 1 and 10000000")
        }
        if notifyChannel.utf8.count > 63 { problems.append("alerts.notify_channel must be at most 63 bytes (a PostgreSQL identifier)") }
        return problems
    }
}
