/// The per-shard WAL positions a flush commit covers (`meterd.wal_checkpoints`, migration 4):
/// written in the same transaction as the rollup deltas, replacing the instance's rows
/// wholesale, and read back at start-up to decide which WAL entries to replay
/// (docs/durability.md).
public enum WALCheckpointSQL {
    /// Migration 4.
    public static let version4 = [
        """
        CREATE TABLE \(RollupTable.schema).wal_checkpoints (
            instance     text    NOT NULL,
            shard        integer NOT NULL,
            wal_position bigint  NOT NULL,
            PRIMARY KEY (instance, shard)
        )
        """,
    ]

    static let deleteSQL = "DELETE FROM \(RollupTable.schema).wal_checkpoints WHERE instance = $1"
    static let insertSQL = """
        INSERT INTO \(RollupTable.schema).wal_checkpoints (instance, shard, wal_position)
        SELECT $1, shard, position FROM unnest($2::integer[], $3::bigint[]) AS p(shard, position)
        """

    /// Replaces `instance`'s positions with `positions` (shard → position). Run it inside the
    /// flush transaction.
    public static func replace(on connection: PostgresConnection, instance: String, positions: [Int: Int64]) throws {
        try connection.execute(deleteSQL, parameters: [instance])
        guard !positions.isEmpty else { return }
        let sorted = positions.sorted { $0.key < $1.key }
        try connection.execute(insertSQL, parameters: [
            instance,
            "{" + sorted.map { String($0.key) }.joined(separator: ",") + "}",
            "{" + sorted.map { String($0.value) }.joined(separator: ",") + "}",
        ])
    }

    /// `instance`'s positions (shard → position); empty when it never committed any.
    public static func positions(on connection: PostgresConnection, instance: String) throws -> [Int: Int64] {
        let rows = try connection.execute(
            "SELECT shard, wal_position FROM \(RollupTable.schema).wal_checkpoints WHERE instance = $1",
            parameters: [instance]).rows
        var positions: [Int: Int64] = [:]
        for row in rows {
            guard let shard = row[0].flatMap({ Int($0) }), let position = row[1].flatMap({ Int64($0) }) else { continue }
            positions[shard] = position
        }
        return positions
    }
}
