import MeterRedis

/// PUBLISHes each alert's JSON to a Redis channel (hiredis, on the runner thread). The
/// connection is opened on the first attempt and again after any failure. An error reply or a
/// lost connection is retried; PUBLISH itself is harmless to repeat (subscribers deduplicate
/// on the alert id, which is at-least-once delivery anyway).
public final class RedisPublishSink: AlertSink, @unchecked Sendable {
    // @unchecked: `connection` is used only by the runner's thread (attempt and close).
    public let name = "redis"
    /// Connect and command timeout of one attempt (as the live-counter mirror's).
    public static let defaultTimeout = Duration.seconds(2)
    let endpoint: RedisEndpoint
    let channel: String
    let timeout: Duration
    private var connection: RedisConnection?

    public init(endpoint: RedisEndpoint, channel: String, timeout: Duration) {
        self.endpoint = endpoint
        self.channel = channel
        self.timeout = timeout
    }

    public func attempt(_ delivery: AlertDelivery) -> AttemptOutcome {
        do {
            if connection?.isConnected != true {
                connection = nil
                connection = try RedisConnection(endpoint: endpoint, connectTimeout: timeout, commandTimeout: timeout)
            }
            let reply = try connection!.command(["PUBLISH", channel, delivery.body])
            if reply.isError { return .retry(reason: "error_reply") }
            return .delivered
        } catch {
            connection?.close()
            return .retry(reason: error.kind.rawValue)
        }
    }

    public func close() {
        connection?.close()
        connection = nil
    }
}
