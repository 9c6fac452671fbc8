import MeterCore

extension RollupWriter {
    /// The per-connection staging tables a write COPYs its rows and set members into. Temporary
    /// (never WAL-logged, private to the session) and emptied at every commit; created by the
    /// first write on a connection, or again after a write whose transaction rolled back.
    static let stagingSQL: [String] = [
        """
        CREATE TEMP TABLE IF NOT EXISTS meterd_flush_rows (
            ord         bigint  NOT NULL,
            grain       text    NOT NULL,
            tenant      text    NOT NULL,
            metric      text    NOT NULL,
            type        text    NOT NULL,
            dimensions  jsonb   NOT NULL,
            bucket      bigint  NOT NULL,
            events      bigint  NOT NULL,
            sum         numeric NOT NULL,
            integral    numeric NOT NULL,
            minimum     numeric,
            maximum     numeric,
            latest      numeric,
            latest_time bigint
        ) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE IF NOT EXISTS meterd_flush_members (
            grain      text   NOT NULL,
            tenant     text   NOT NULL,
            metric     text   NOT NULL,
            dimensions jsonb  NOT NULL,
            bucket     bigint NOT NULL,
            member     uuid   NOT NULL
        ) ON COMMIT DELETE ROWS
        """,
    ]

    static let copyRowsSQL = """
        COPY pg_temp.meterd_flush_rows (ord, grain, tenant, metric, type, dimensions, bucket, events, sum, integral,
                                        minimum, maximum, latest, latest_time) FROM STDIN
        """

    /// Statistics of the staged rows for the planner: the rows per grain. Without them it
    /// guesses a handful of rows per grain and may loop over the staged rows once per stored
    /// row (a write of 33k existing rows took 7.7 s instead of 1 s). A small sample of one
    /// column: 25 ms for 300k rows where a full `ANALYZE` took 250 ms.
    static let analyzeSQL: [String] = [
        "SET LOCAL default_statistics_target = 10",
        "ANALYZE pg_temp.meterd_flush_rows (grain)",
    ]

    static let copyMembersSQL = """
        COPY pg_temp.meterd_flush_members (grain, tenant, metric, dimensions, bucket, member) FROM STDIN
        """

    /// The merge of one grain's staged rows into its rollup table, as one statement.
    ///
    /// Set members (only when the grain has any) are inserted first (`ON CONFLICT DO NOTHING`),
    /// and only the members actually inserted, counted per row, are added to `uniques`: a member
    /// already stored by an earlier flush, another instance or a replay after a crash is never
    /// counted twice.
    ///
    /// Rows that exist are changed by a plain `UPDATE ... FROM`; only the others go through
    /// `INSERT ... ON CONFLICT DO UPDATE` (which still merges a row that another instance inserted
    /// meanwhile). Updating an existing row through `ON CONFLICT` costs a tuple lock and its WAL
    /// record besides the update: measured about twice the plain `UPDATE` (docs/benchmarks.md).
    /// Both apply the merge rules of `RollupValue.apply`: additive fields add, extremes combine
    /// (least/greatest ignore NULLs), latest goes to the later event time with ties to the delta.
    static func upsertSQL(_ grain: Grain, members: Bool) -> String {
        let table = RollupTable.name(grain)
        let membersCTE = members ? """
            inserted_members AS (
                INSERT INTO \(RollupTable.schema).set_members (grain, tenant, metric, dimensions, bucket, member)
                SELECT '\(grain.name)', tenant, metric, dimensions, to_timestamp(bucket), member
                FROM pg_temp.meterd_flush_members
                WHERE grain = '\(grain.name)'
                ON CONFLICT DO NOTHING
                RETURNING tenant, metric, dimensions, bucket
            ), new_uniques AS (
                SELECT tenant, metric, dimensions, bucket, count(*) AS uniques
                FROM inserted_members GROUP BY tenant, metric, dimensions, bucket
            ),
            """ : ""
        let uniques = members ? "coalesce(n.uniques, 0)" : "0::bigint"
        let uniquesJoin = members ? """
            LEFT JOIN new_uniques n ON s.type = 's' AND n.tenant = s.tenant AND n.metric = s.metric
                                   AND n.dimensions = s.dimensions AND n.bucket = to_timestamp(s.bucket)
            """ : ""
        func merge(_ new: String) -> String {
            """
                events   = u.events + \(new).events,
                sum      = u.sum + \(new).sum,
                integral = u.integral + \(new).integral,
                minimum  = least(u.minimum, \(new).minimum),
                maximum  = greatest(u.maximum, \(new).maximum),
                latest      = CASE WHEN \(new).latest IS NOT NULL
                                    AND (u.latest IS NULL OR \(new).latest_time >= u.latest_time)
                                   THEN \(new).latest ELSE u.latest END,
                latest_time = CASE WHEN \(new).latest IS NOT NULL
                                    AND (u.latest IS NULL OR \(new).latest_time >= u.latest_time)
                                   THEN \(new).latest_time ELSE u.latest_time END,
                uniques  = u.uniques + \(new).uniques
            """
        }
        return """
            WITH \(membersCTE) input AS (
                SELECT s.ord, s.tenant, s.metric, s.type, s.dimensions, to_timestamp(s.bucket) AS bucket, s.events,
                       s.sum, s.integral, s.minimum, s.maximum, s.latest, to_timestamp(s.latest_time) AS latest_time,
                       \(uniques) AS uniques
                FROM pg_temp.meterd_flush_rows s
                \(uniquesJoin)
                WHERE s.grain = '\(grain.name)'
            ), updated AS (
                UPDATE \(table) AS u SET
                \(merge("i"))
                FROM input i
                WHERE u.tenant = i.tenant AND u.metric = i.metric AND u.type = i.type
                  AND u.dimensions = i.dimensions AND u.bucket = i.bucket
                RETURNING i.ord
            )
            INSERT INTO \(table) AS u (tenant, metric, type, dimensions, bucket, events, sum, integral,
                                       minimum, maximum, latest, latest_time, uniques)
            SELECT i.tenant, i.metric, i.type, i.dimensions, i.bucket, i.events, i.sum, i.integral,
                   i.minimum, i.maximum, i.latest, i.latest_time, i.uniques
            FROM input i
            WHERE NOT EXISTS (SELECT 1 FROM updated d WHERE d.ord = i.ord)
            ON CONFLICT (tenant, metric, type, dimensions, bucket) DO UPDATE SET
            \(merge("excluded"))
            """
    }

    static let checkpointSQL = """
        INSERT INTO \(RollupTable.schema).flush_checkpoints (instance, wal_position, flushed_at)
        VALUES ($1, $2::bigint, now())
        ON CONFLICT (instance) DO UPDATE SET wal_position = excluded.wal_position, flushed_at = excluded.flushed_at
        """
}
