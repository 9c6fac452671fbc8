/// One way of delivering alerts (webhook, Redis pub/sub, PostgreSQL NOTIFY).
///
/// A sink is driven by its own `SinkRunner` thread, which calls `attempt` for one delivery at a
/// time and owns the retries; `attempt` may block (bounded by the sink's timeouts) and may keep
/// a connection between calls, which is why sinks are classes used by that one thread only.
public protocol AlertSink: AnyObject, Sendable {
    /// The sink's name in `/metrics` and in `meterd.alert_deliveries.sink`.
    var name: String { get }
    /// One delivery attempt of `delivery`.
    func attempt(_ delivery: AlertDelivery) -> AttemptOutcome
    /// Releases connections; called once on the runner thread when it stops.
    func close()
}

/// An alert on its way to the sinks: the id and the exact JSON body recorded with it, so
/// every retry, also one after a restart, sends the same bytes.
public struct AlertDelivery: Sendable, Hashable {
    public var id: String
    public var level: AlertLevel
    public var body: String
    /// When the alert was recorded as fired, Unix seconds: the retry horizon counts from here.
    public var firedAt: Int64

    public init(id: String, level: AlertLevel, body: String, firedAt: Int64) {
        self.id = id
        self.level = level
        self.body = body
        self.firedAt = firedAt
    }

    public init(_ alert: ThresholdAlert, firedAt: Int64) {
        self.init(id: alert.id, level: alert.level, body: alert.json, firedAt: firedAt)
    }
}

/// What one attempt came to. Reasons are short snake_case words, used as metric labels.
public enum AttemptOutcome: Sendable, Hashable {
    case delivered
    /// Worth trying again later (timeouts, connection errors, 5xx, 408, 429).
    case retry(reason: String)
    /// Trying again cannot help (a 4xx other than 408 and 429): given up at once.
    case permanent(reason: String)
}
