public import MeterCore

/// The Redis mirror's resync read (docs/redis.md "Resync"): the totals of every open bucket,
/// summed per (tenant, metric, type, grain, bucket) over dimension combinations, and this
/// instance's flush counter, in one `REPEATABLE READ` snapshot. Every flush commits its rows
/// and the counter in one transaction, so the totals hold exactly this instance's flushes
/// 1...counter (and whatever other instances committed before the snapshot).
public enum LiveTotalsSQL {
    /// One key's totals, quantities as integer micro-units (`Quantity.units`).
    public struct Row: Sendable, Hashable {
        public var grain: Grain
        public var tenant: String
        public var metric: String
        public var type: MetricType
        public var bucketStart: Int64
        public var events: Int128
        public var sumUnits: Int128
        public var uniques: Int128
        public var integralUnitSeconds: Int128
        /// The gauge's latest value (micro-units) and its event time (Unix seconds).
        public var latestUnits: Int128?
        public var latestTime: Int64?
    }

    /// A totals row that does not parse (a schema this code does not know).
    public struct MalformedTotals: Error, Sendable, CustomStringConvertible {
        public var what: String
        public var description: String { "live totals: unexpected \(what) in a rollup row" }
    }

    public struct Snapshot: Sendable {
        /// This instance's committed flush count (`flush_checkpoints.wal_position`; 0 if none).
        public var counter: Int64
        public var rows: [Row]
        /// More keys than `limit` exist: `rows` holds the first `limit` (ordered by tenant,
        /// metric, type, grain, bucket).
        public var truncated: Bool
    }

    /// One grain's open buckets, grouped per key. `trunc` only drops the zero fraction: sums and
    /// integrals are stored from integer micro-units, so `x * 1000000` is an integer.
    static func grainSQL(_ grain: Grain, parameter: Int) -> String {
        """
        SELECT '\(grain.name)' AS grain, tenant, metric, type, extract(epoch FROM bucket)::bigint AS bucket_unix,
               sum(events) AS events, trunc(sum(sum) * 1000000) AS sum_units, sum(uniques) AS uniques,
               trunc(sum(integral) * 1000000) AS integral_units,
               trunc((array_agg(latest ORDER BY latest_time DESC, latest DESC)
                      FILTER (WHERE latest IS NOT NULL))[1] * 1000000) AS latest_units,
               extract(epoch FROM max(latest_time) FILTER (WHERE latest IS NOT NULL))::bigint AS latest_time
        FROM \(RollupTable.name(grain))
        WHERE bucket >= to_timestamp($\(parameter))
        GROUP BY tenant, metric, type, bucket
        """
    }

    /// Every grain's open buckets: `$1`..`$3` the first open bucket of hour, day, month (Unix
    /// seconds), `$4` the row limit.
    static let totalsSQL = """
        SELECT grain, tenant, metric, type, bucket_unix, events::text, sum_units::text, uniques::text,
               integral_units::text, latest_units::text, latest_time
        FROM (
        \(grainSQL(.hour, parameter: 1))
        UNION ALL
        \(grainSQL(.day, parameter: 2))
        UNION ALL
        \(grainSQL(.month, parameter: 3))
        ) AS t
        ORDER BY tenant, metric, type, grain, bucket_unix
        LIMIT $4
        """

    static let counterSQL = """
        SELECT wal_position FROM \(RollupTable.schema).flush_checkpoints WHERE instance = $1
        """

    /// Reads the totals of the buckets at or after `openBuckets[grain]` and `instance`'s flush
    /// counter in one read-only `REPEATABLE READ` transaction: both come from one snapshot.
    /// At most `limit` rows; `truncated` tells whether there were more.
    public static func read(on connection: PostgresConnection, instance: String,
                            openBuckets: [Grain: Int64], limit: Int) throws -> Snapshot {
        precondition(limit > 0, "a resync reads at least one key")
        return try connection.transaction {
            try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            // The first query takes the snapshot; the totals below are read from the same one.
            let counterRows = try connection.execute(counterSQL, parameters: [instance]).rows
            let counter = try counterRows.first.map { try integer($0[0], "flush counter") } ?? 0
            let result = try connection.execute(totalsSQL, parameters: [
                String(openBuckets[.hour] ?? 0), String(openBuckets[.day] ?? 0), String(openBuckets[.month] ?? 0),
                String(limit + 1),
            ])
            var rows: [Row] = []
            rows.reserveCapacity(min(result.rows.count, limit))
            for values in result.rows.prefix(limit) {
                rows.append(try row(values))
            }
            return Snapshot(counter: counter, rows: rows, truncated: result.rows.count > limit)
        }
    }

    private static func row(_ values: [String?]) throws -> Row {
        guard let grain = Grain.allCases.first(where: { $0.name == values[0] }),
              let tenant = values[1], let metric = values[2],
              let type = MetricType.allCases.first(where: { String($0.wireLetter) == values[3] }) else {
            throw MalformedTotals(what: "grain or type")
        }
        return Row(grain: grain, tenant: tenant, metric: metric, type: type,
                   bucketStart: try integer(values[4], "bucket"),
                   events: try units(values[5], "events"), sumUnits: try units(values[6], "sum"),
                   uniques: try units(values[7], "uniques"), integralUnitSeconds: try units(values[8], "integral"),
                   latestUnits: try values[9].map { try units($0, "latest") },
                   latestTime: try values[10].map { try integer($0, "latest_time") })
    }

    private static func integer(_ text: String?, _ what: String) throws -> Int64 {
        guard let text, let value = Int64(text) else {
            throw MalformedTotals(what: what)
        }
        return value
    }

    private static func units(_ text: String?, _ what: String) throws -> Int128 {
        guard let text, let value = Int128(text) else {
            throw MalformedTotals(what: what)
        }
        return value
    }
}
