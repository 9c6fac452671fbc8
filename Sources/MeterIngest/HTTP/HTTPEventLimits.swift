/// The limits of `POST /v1/events` (config keys `http_events.*`, config/limits.md).
public struct HTTPEventLimits: Sendable, Hashable {
    /// `http_events.max_body_bytes`: a longer body is answered 413 without buffering beyond it.
    public var maxBodyBytes = 4 * 1024 * 1024
    /// `http_events.max_events`: more events in one request are answered 413.
    public var maxEvents = 10_000
    /// `http_events.queue_timeout_ms`: how long a request may wait for room in the ring
    /// before it is answered 503 (the events not queued by then were not taken).
    public var queueTimeout: Duration = .seconds(10)

    public init() {}

    /// What is wrong with these values, if anything.
    public var problem: String? {
        if maxBodyBytes < 1024 || maxBodyBytes > 1 << 30 { return "http_events.max_body_bytes must be between 1024 and 1073741824" }
        if maxEvents < 1 || maxEvents > 1_000_000 { return "http_events.max_events must be between 1 and 1000000" }
        if queueTimeout < .milliseconds(1) || queueTimeout > .seconds(3600) {
            return "http_events.queue_timeout_ms must be between 1 and 3600000"
        }
        return nil
    }
}
