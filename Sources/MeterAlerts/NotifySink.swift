import MeterPostgres

/// Sends each alert with PostgreSQL `pg_notify(channel, payload)` on a connection of its own
/// (opened on the first attempt and again after a failure). The payload is the alert's JSON
/// (a few hundred bytes: tenant and metric names are bounded by the line protocol); one longer
/// than `maxPayloadBytes` goes as `{"version":1,"id":"…"}` and listeners read the row from
/// `meterd.alerts_fired` by id. NOTIFY is transactional: sent when the statement commits.
public final class NotifySink: AlertSink, @unchecked Sendable {
    // @unchecked: `connection` is used only by the runner's thread (attempt and close).
    public let name = "notify"
    /// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
    public static let maxPayloadBytes = 7999
    let channel: String
    private let connect: @Sendable () throws -> PostgresConnection
    private var connection: PostgresConnection?

    public init(channel: String, connect: @escaping @Sendable () throws -> PostgresConnection) {
        self.channel = channel
        self.connect = connect
    }

    static func payload(for delivery: AlertDelivery) -> String {
        delivery.body.utf8.count <= maxPayloadBytes ? delivery.body
            : "{\"version\":\(ThresholdAlert.jsonVersion),\"id\":\"\(delivery.id)\"}"
    }

    public func attempt(_ delivery: AlertDelivery) -> AttemptOutcome {
        do {
            if connection?.isConnected != true {
                connection = nil
                connection = try connect()
            }
            try connection!.execute("SELECT pg_notify($1, $2)", parameters: [channel, Self.payload(for: delivery)])
            return .delivered
        } catch let error as PostgresError {
            connection = nil
            return error.isTransient ? .retry(reason: "connection") : .retry(reason: "server_error")
        } catch {
            connection = nil
            return .retry(reason: "connection")
        }
    }

    public func close() {
        connection?.close()
        connection = nil
    }
}
