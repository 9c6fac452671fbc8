public import MeterCore

/// Persisted idempotency keys (`meterd.dedup_ids`, migration 5; docs/dedup.md "Restarts").
///
/// Each flush commits, in the same transaction as its rollup deltas, the fingerprints of the
/// idempotency keys counted in the events those deltas cover: COPY into a per-session staging
/// table, then one `INSERT ... ON CONFLICT DO NOTHING` (a retried batch, or a key already held,
/// changes nothing). The same transaction deletes a bounded number of keys older than the
/// window. At start-up the keys still inside the window are read back, oldest first, into the
/// shards' windows.
///
/// The fingerprints are seeded with the engine's hasher (`<data_dir>/hash-seed`), so they mean
/// something only to the same data directory: rows are per instance.
public enum DedupIDSQL {
    /// Migration 5. `shard` is the shard that counted the key and `shards` the shard count
    /// then: a key loaded under the same shard count goes back to its shard, otherwise to every
    /// shard.
    public static let version5 = [
        """
        CREATE TABLE \(RollupTable.schema).dedup_ids (
            instance    text        NOT NULL,
            fingerprint uuid        NOT NULL,
            arrival     timestamptz NOT NULL,
            shard       integer     NOT NULL,
            shards      integer     NOT NULL,
            PRIMARY KEY (instance, fingerprint)
        )
        """,
        "CREATE INDEX dedup_ids_arrival ON \(RollupTable.schema).dedup_ids (instance, arrival, fingerprint)",
    ]

    static let stagingSQL = """
        CREATE TEMP TABLE IF NOT EXISTS meterd_flush_dedup_ids (
            fingerprint uuid    NOT NULL,
            arrival     bigint  NOT NULL,
            shard       integer NOT NULL
        ) ON COMMIT DELETE ROWS
        """
    static let copySQL = "COPY pg_temp.meterd_flush_dedup_ids (fingerprint, arrival, shard) FROM STDIN"
    static let insertSQL = """
        INSERT INTO \(RollupTable.schema).dedup_ids (instance, fingerprint, arrival, shard, shards)
        SELECT $1, fingerprint, to_timestamp(arrival), shard, $2::integer FROM pg_temp.meterd_flush_dedup_ids
        ON CONFLICT (instance, fingerprint) DO NOTHING
        """
    static let expireSQL = """
        DELETE FROM \(RollupTable.schema).dedup_ids d USING (
            SELECT fingerprint FROM \(RollupTable.schema).dedup_ids
            WHERE instance = $1 AND arrival < to_timestamp($2::bigint)
            ORDER BY arrival LIMIT $3::integer
        ) old
        WHERE d.instance = $1 AND d.fingerprint = old.fingerprint
        """

    /// What a flush writes besides its deltas.
    public struct Write: Sendable {
        public var ids: SeenIDs
        /// The engine's shard count.
        public var shards: Int
        /// Keys that arrived before this Unix time may be deleted (now minus the window).
        public var expireBefore: Int64
        /// The most keys deleted by this write.
        public var expireLimit: Int

        public init(ids: SeenIDs, shards: Int, expireBefore: Int64, expireLimit: Int) {
            self.ids = ids
            self.shards = shards
            self.expireBefore = expireBefore
            self.expireLimit = expireLimit
        }
    }

    /// Inserts `write.ids` and deletes expired keys; run it inside the flush transaction.
    /// Returns the keys deleted.
    @discardableResult
    public static func write(_ write: Write, on connection: PostgresConnection, instance: String,
                             rowsPerChunk: Int = 20_000) throws -> Int {
        if !write.ids.isEmpty {
            try connection.execute(stagingSQL)
            _ = try connection.copyIn(copySQL) { send in
                var builder = PostgresCopyBuilder()
                for (shard, entries) in write.ids.byShard {
                    for entry in entries {
                        builder.appendUUID(high: entry.fingerprint.high, low: entry.fingerprint.low)
                        builder.append(entry.arrival)
                        builder.append(Int64(shard))
                        builder.endRow()
                        if builder.rows >= rowsPerChunk {
                            try send(builder.bytes)
                            builder = PostgresCopyBuilder()
                        }
                    }
                }
                try send(builder.bytes)
            }
            try connection.execute(insertSQL, parameters: [instance, String(write.shards)])
        }
        guard write.expireLimit > 0 else { return 0 }
        let result = try connection.execute(expireSQL, parameters: [instance, String(write.expireBefore), String(write.expireLimit)])
        return result.affectedRows
    }

    /// One persisted key as read back.
    public struct Row: Sendable, Hashable {
        public var entry: DedupEntry
        public var shard: Int
        public var shards: Int
    }

    /// `instance`'s keys that arrived at or after `since` (Unix seconds), oldest first, handed
    /// to `body` page by page (`pageSize` rows per query, keyset paging). Returns the count.
    @discardableResult
    public static func load(on connection: PostgresConnection, instance: String, since: Int64,
                            pageSize: Int = 100_000, _ body: ([Row]) throws -> Void) throws -> Int {
        var total = 0
        var after: (arrival: Int64, fingerprint: String)? = nil
        while true {
            let result: PostgresResult
            let columns = "fingerprint::text, extract(epoch FROM arrival)::bigint, shard, shards"
            if let after {
                result = try connection.execute("""
                    SELECT \(columns) FROM \(RollupTable.schema).dedup_ids
                    WHERE instance = $1 AND (arrival, fingerprint) > (to_timestamp($2::bigint), $3::uuid)
                    ORDER BY arrival, fingerprint LIMIT $4::integer
                    """, parameters: [instance, String(after.arrival), after.fingerprint, String(pageSize)])
            } else {
                result = try connection.execute("""
                    SELECT \(columns) FROM \(RollupTable.schema).dedup_ids
                    WHERE instance = $1 AND arrival >= to_timestamp($2::bigint)
                    ORDER BY arrival, fingerprint LIMIT $3::integer
                    """, parameters: [instance, String(since), String(pageSize)])
            }
            var rows: [Row] = []
            rows.reserveCapacity(result.rows.count)
            for row in result.rows {
                guard let text = row[0], let fingerprint = parseUUID(text),
                      let arrival = row[1].flatMap({ Int64($0) }), let shard = row[2].flatMap({ Int($0) }),
                      let shards = row[3].flatMap({ Int($0) }) else { continue }
                rows.append(Row(entry: DedupEntry(fingerprint: fingerprint, arrival: arrival), shard: shard, shards: shards))
                after = (arrival, text)
            }
            total += rows.count
            try body(rows)
            if result.rows.count < pageSize { return total }
        }
    }

    /// A uuid's text (with or without dashes) as a fingerprint, high word first.
    package static func parseUUID(_ text: String) -> Fingerprint128? {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var digits = 0
        for byte in text.utf8 {
            let nibble: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: "-"): continue
            default: return nil
            }
            if digits < 16 { high = high << 4 | nibble } else { low = low << 4 | nibble }
            digits += 1
        }
        return digits == 32 ? Fingerprint128(high: high, low: low) : nil
    }
}
