/// Threshold alerts' exactly-once record and delivery outbox (migration 7, docs/alerts.md).
///
/// `alerts_fired` holds one row per alert that fired: its primary key (tenant, metric,
/// period_start, quota, level) lets only the first `INSERT ... ON CONFLICT DO NOTHING` of an
/// alert win, across instances and restarts; only the winner delivers. `alert_deliveries` is
/// the outbox: one row per alert and sink, `pending` until the sink delivered it (or gave up),
/// so a delivery cut short by a restart is sent again.
public enum AlertSQL {
    /// Migration 7.
    public static let version7 = [
        """
        CREATE TABLE \(RollupTable.schema).alerts_fired (
            tenant       text        NOT NULL,
            metric       text        NOT NULL,
            period_start timestamptz NOT NULL,
            quota        numeric     NOT NULL,
            level        smallint    NOT NULL CHECK (level IN (80, 90, 100)),
            alert_id     uuid        NOT NULL UNIQUE,
            period_end   timestamptz NOT NULL,
            used         numeric     NOT NULL,
            crossed_at   timestamptz NOT NULL,
            payload      text        NOT NULL,
            fired_by     text        NOT NULL,
            fired_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant, metric, period_start, quota, level)
        )
        """,
        """
        CREATE TABLE \(RollupTable.schema).alert_deliveries (
            alert_id     uuid        NOT NULL REFERENCES \(RollupTable.schema).alerts_fired (alert_id) ON DELETE CASCADE,
            sink         text        NOT NULL,
            state        text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts     integer     NOT NULL DEFAULT 0,
            last_error   text,
            finished_at  timestamptz,
            PRIMARY KEY (alert_id, sink)
        )
        """,
        """
        CREATE INDEX alert_deliveries_pending ON \(RollupTable.schema).alert_deliveries (alert_id) WHERE state = 'pending'
        """,
    ]

    /// One alert to record: the winner's row gets one pending delivery row per sink.
    public struct Fired: Sendable, Hashable {
        public var id: String
        public var tenant: String
        public var metric: String
        public var level: Int
        public var periodStart: Int64
        public var periodEnd: Int64
        public var used: String
        public var quota: String
        public var crossedAtMilliseconds: Int64
        public var payload: String

        public init(id: String, tenant: String, metric: String, level: Int, periodStart: Int64, periodEnd: Int64,
                    used: String, quota: String, crossedAtMilliseconds: Int64, payload: String) {
            self.id = id
            self.tenant = tenant
            self.metric = metric
            self.level = level
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.used = used
            self.quota = quota
            self.crossedAtMilliseconds = crossedAtMilliseconds
            self.payload = payload
        }
    }

    static let insertFiredSQL = """
        INSERT INTO \(RollupTable.schema).alerts_fired
            (alert_id, tenant, metric, level, period_start, period_end, used, quota, crossed_at, payload, fired_by)
        VALUES ($1::uuid, $2, $3, $4::smallint, to_timestamp($5::bigint), to_timestamp($6::bigint), $7::numeric,
                $8::numeric, to_timestamp($9::bigint / 1000.0), $10, $11)
        ON CONFLICT DO NOTHING
        RETURNING extract(epoch FROM fired_at)::bigint
        """
    static let insertDeliveriesSQL = """
        INSERT INTO \(RollupTable.schema).alert_deliveries (alert_id, sink)
        SELECT $1::uuid, sink FROM unnest($2::text[]) AS s(sink)
        """

    /// Records `alerts` in one transaction; returns, for each alert that won (fired now, never
    /// before by any instance), its `fired_at` (Unix seconds). Losers are absent.
    public static func record(_ alerts: [Fired], instance: String, sinks: [String],
                              on connection: PostgresConnection) throws -> [String: Int64] {
        try connection.transaction {
            var winners: [String: Int64] = [:]
            for alert in alerts {
                let rows = try connection.execute(insertFiredSQL, parameters: [
                    alert.id, alert.tenant, alert.metric, String(alert.level), String(alert.periodStart),
                    String(alert.periodEnd), alert.used, alert.quota, String(alert.crossedAtMilliseconds),
                    alert.payload, instance,
                ]).rows
                guard let firedAt = rows.first?[0].flatMap({ Int64($0) }) else { continue }
                winners[alert.id] = firedAt
                if !sinks.isEmpty {
                    try connection.execute(insertDeliveriesSQL, parameters: [alert.id, PostgresArrayLiteral.encode(sinks)])
                }
            }
            return winners
        }
    }

    /// Marks one delivery finished (`delivered` or `failed`) after `attempts` attempts.
    public static func finish(id: String, sink: String, state: String, attempts: Int, error: String?,
                              on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE \(RollupTable.schema).alert_deliveries
            SET state = $3, attempts = attempts + $4::integer, last_error = $5, finished_at = now()
            WHERE alert_id = $1::uuid AND sink = $2 AND state = 'pending'
            """, parameters: [id, sink, state, String(attempts), error])
    }

    /// A pending delivery of this instance, for the retry after a restart.
    public struct Pending: Sendable, Hashable {
        public var id: String
        public var sink: String
        public var level: Int
        public var payload: String
        public var firedAt: Int64
    }

    /// `instance`'s pending deliveries fired within the last `horizonSeconds`, oldest alert
    /// first and, within one alert round, highest level first. Older pending rows are marked
    /// failed (`retry horizon passed`) first; returns them as `expired`.
    public static func pending(instance: String, horizonSeconds: Int64,
                               on connection: PostgresConnection) throws -> (pending: [Pending], expired: [String: Int]) {
        try connection.transaction {
            let expiredRows = try connection.execute("""
                UPDATE \(RollupTable.schema).alert_deliveries AS d
                SET state = 'failed', last_error = 'retry horizon passed', finished_at = now()
                FROM \(RollupTable.schema).alerts_fired AS f
                WHERE d.alert_id = f.alert_id AND d.state = 'pending' AND f.fired_by = $1
                  AND f.fired_at <= now() - make_interval(secs => $2::bigint)
                RETURNING d.sink
                """, parameters: [instance, String(horizonSeconds)]).rows
            var expired: [String: Int] = [:]
            for row in expiredRows { expired[row[0] ?? "", default: 0] += 1 }
            let rows = try connection.execute("""
                SELECT f.alert_id::text, d.sink, f.level, f.payload, extract(epoch FROM f.fired_at)::bigint
                FROM \(RollupTable.schema).alert_deliveries AS d
                JOIN \(RollupTable.schema).alerts_fired AS f USING (alert_id)
                WHERE d.state = 'pending' AND f.fired_by = $1
                ORDER BY f.fired_at, f.level DESC, f.alert_id
                """, parameters: [instance]).rows
            let pending = rows.compactMap { row -> Pending? in
                guard let id = row[0], let sink = row[1], let level = row[2].flatMap({ Int($0) }), let payload = row[3],
                      let firedAt = row[4].flatMap({ Int64($0) }) else { return nil }
                return Pending(id: id, sink: sink, level: level, payload: payload, firedAt: firedAt)
            }
            return (pending, expired)
        }
    }
}
