import MeterCore
import MeterIngest
import MeterPostgres
import Synchronization

/// Usage queries' reads of PostgreSQL (`UsageSQL`), on a connection of their own (never the
/// flush writer's), opened on the first query and again after any failure. Called on the
/// aggregation service's query thread only.
final class PostgresUsageStore: UsageStore {
    /// A query must not hold the aggregation loop (and so the flush) for long when PostgreSQL
    /// is unreachable: short connect and statement timeouts, then the query answers 503.
    static let connectionDefaults: [(key: String, value: String)] = [
        ("connect_timeout", "2"),
        ("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"), ("keepalives_count", "3"),
        ("tcp_user_timeout", "5000"),
        ("options", "-c statement_timeout=5000"),
        ("application_name", "meterd-usage-query"),
    ]

    private let connectionString: String
    private let instance: String
    private let connection = Mutex<PostgresConnection?>(nil)

    init(connectionString: String, instance: String) {
        self.connectionString = connectionString
        self.instance = instance
    }

    func read(_ request: UsageRequest) throws -> StoredUsage {
        try connection.withLock { connection in
            do {
                if connection == nil || connection?.isConnected == false {
                    connection?.close()
                    connection = try PostgresConnection(connectionString: connectionString, defaults: Self.connectionDefaults)
                }
                let snapshot = try UsageSQL.read(on: connection!, instance: instance, tenant: request.tenant,
                                                 metric: request.metric, grain: request.grain,
                                                 fromBucket: request.firstBucket, to: request.to,
                                                 dimensions: request.dimensions.map { ($0.key, $0.value) })
                return StoredUsage(committedWrites: snapshot.committedWrites, tenantKnown: snapshot.tenantKnown,
                                   rows: snapshot.rows.map { row in
                    StoredUsage.Row(series: UsageSeriesID(metric: row.metric, type: row.type,
                                                          dimensions: row.dimensions.map { UsageDimension(key: $0.key, value: $0.value) }),
                                    bucketStart: row.bucketStart, value: row.value)
                })
            } catch {
                connection?.close()
                connection = nil
                throw error
            }
        }
    }
}
