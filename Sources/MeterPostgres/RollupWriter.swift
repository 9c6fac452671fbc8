public import MeterCore

/// Applies flush deltas to the rollup tables and records the WAL position they cover, in one
/// transaction: after a crash either both are in the database or neither is, so replaying the
/// WAL from the stored position counts every event exactly once.
///
/// Blocking (it runs on the connection's thread). On a thrown error nothing was committed: keep
/// the deltas, wait (`FlushRetryPolicy`), reset the connection if `isConnected` is false, and
/// write them again.
public struct RollupWriter {
    public let connection: PostgresConnection
    /// Rows per upsert statement; each statement is one round trip.
    public var rowsPerStatement: Int

    public init(connection: PostgresConnection, rowsPerStatement: Int = 5_000) {
        precondition(rowsPerStatement > 0, "rowsPerStatement must be positive")
        self.connection = connection
        self.rowsPerStatement = rowsPerStatement
    }

    /// What one `write` did.
    public struct Summary: Sendable, Hashable {
        /// Rows upserted after folding deltas of the same row.
        public var rows = 0
        /// Set members sent (the database inserts only those it did not hold).
        public var members = 0
        /// Upsert statements (round trips besides BEGIN, checkpoint and COMMIT).
        public var statements = 0

        public init() {}
    }

    /// Upserts `deltas` (any order of grains and series; deltas of the same row are folded in
    /// the order given) and sets `checkpoint.instance`'s position to `checkpoint.position`, all
    /// in one transaction. `alsoInTransaction` runs in that transaction too, after the upserts
    /// (the WAL positions, `WALCheckpointSQL`).
    @discardableResult
    public func write(_ deltas: [RollupDelta], checkpoint: (instance: String, position: Int64),
                      alsoInTransaction: ((PostgresConnection) throws -> Void)? = nil) throws -> Summary {
        let batches = try Self.batches(deltas, rowsPerStatement: rowsPerStatement)
        var summary = Summary()
        try connection.transaction {
            for (grain, batch) in batches {
                try connection.execute(Self.upsertSQL(grain), parameters: batch.literals)
                summary.rows += batch.rowCount
                summary.members += batch.memberCount
                summary.statements += 1
            }
            try alsoInTransaction?(connection)
            try connection.execute(Self.checkpointSQL, parameters: [checkpoint.instance, String(checkpoint.position)])
        }
        return summary
    }

    /// The position last committed for `instance`, or nil if it never flushed.
    public func checkpoint(instance: String) throws -> Int64? {
        let rows = try connection.execute(
            "SELECT wal_position FROM \(RollupTable.schema).flush_checkpoints WHERE instance = $1",
            parameters: [instance]).rows
        guard let first = rows.first, let text = first[0] else { return nil }
        return Int64(text)
    }

    /// Folds deltas of the same row, groups them by grain and cuts statements of at most
    /// `rowsPerStatement` rows. `package` so tests can time the client-side encoding.
    package static func batches(_ deltas: [RollupDelta], rowsPerStatement: Int) throws -> [(Grain, RollupBatch)] {
        let grains = Grain.finestFirst
        var folded = grains.map { _ in [RollupDelta]() }
        var indexByRow: [RollupKey: Int] = [:]
        indexByRow.reserveCapacity(deltas.count)
        for delta in deltas {
            let grain = grains.firstIndex(of: delta.grain)!
            let key = RollupKey(seriesKey: delta.seriesKey, grain: delta.grain, bucketStart: delta.bucketStart)
            if let index = indexByRow[key] {
                folded[grain][index].fold(delta)
            } else {
                indexByRow[key] = folded[grain].count
                folded[grain].append(delta)
            }
        }
        var result: [(Grain, RollupBatch)] = []
        for (grain, rows) in zip(grains, folded) {
            var start = 0
            while start < rows.count {
                var batch = RollupBatch()
                for delta in rows[start..<min(start + rowsPerStatement, rows.count)] {
                    try batch.append(delta)
                }
                result.append((grain, batch))
                start += rowsPerStatement
            }
        }
        return result
    }

    /// The client-side work of `write` without the database (folding, text encoding, the array
    /// literals); returns the bytes of parameter text. Public for the flush benchmark.
    public static func encodedParameterBytes(_ deltas: [RollupDelta], rowsPerStatement: Int = 5_000) throws -> Int {
        var bytes = 0
        for (_, batch) in try batches(deltas, rowsPerStatement: rowsPerStatement) {
            for literal in batch.literals { bytes += literal.utf8.count }
        }
        return bytes
    }
}
