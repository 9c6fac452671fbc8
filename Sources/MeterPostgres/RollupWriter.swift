public import MeterCore

/// Applies flush deltas to the rollup tables and records the WAL position they cover, in one
/// transaction: after a crash either both are in the database or neither is, so replaying the
/// WAL from the stored position counts every event exactly once.
///
/// A write COPYs its rows (and set members) into temporary staging tables, in chunks that the
/// server parses while the client encodes the next, then merges each grain with one statement
/// (`upsertSQL`), then sets the checkpoint.
///
/// Blocking (it runs on the connection's thread). On a thrown error nothing was committed: keep
/// the deltas, wait (`FlushRetryPolicy`), reset the connection if `isConnected` is false, and
/// write them again.
public struct RollupWriter {
    public let connection: PostgresConnection
    /// Rows per COPY data message: the client encodes the next chunk while the server parses
    /// this one.
    public var rowsPerChunk: Int

    public init(connection: PostgresConnection, rowsPerChunk: Int = 5_000) {
        precondition(rowsPerChunk > 0, "rowsPerChunk must be positive")
        self.connection = connection
        self.rowsPerChunk = rowsPerChunk
    }

    /// What one `write` did.
    public struct Summary: Sendable, Hashable {
        /// Rows upserted after folding deltas of the same row.
        public var rows = 0
        /// Set members sent (the database inserts only those it did not hold).
        public var members = 0
        /// COPY and merge statements (besides BEGIN, the staging tables, checkpoint and COMMIT).
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
        let folded = Self.fold(deltas)
        var summary = Summary()
        try connection.transaction {
            var batch = RollupBatch()
            if !folded.allSatisfy(\.isEmpty) {
                for statement in Self.stagingSQL { try connection.execute(statement) }
                try connection.copyIn(Self.copyRowsSQL) { send in
                    batch = try Self.encode(folded, rowsPerChunk: rowsPerChunk, send: send)
                }
                summary.statements += 1
                for statement in Self.analyzeSQL { try connection.execute(statement) }
                if batch.members.rows > 0 {
                    try connection.copyIn(Self.copyMembersSQL) { send in try send(batch.members.bytes) }
                    summary.statements += 1
                }
                for (index, (grain, rows)) in zip(Grain.finestFirst, folded).enumerated() where !rows.isEmpty {
                    try connection.execute(Self.upsertSQL(grain, members: batch.membersPerGrain[index] > 0))
                    summary.statements += 1
                }
            }
            summary.rows = folded.reduce(0) { $0 + $1.count }
            summary.members = batch.members.rows
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

    /// Folds deltas of the same row; the rows of each grain, `Grain.finestFirst` order.
    package static func fold(_ deltas: [RollupDelta]) -> [[RollupDelta]] {
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
        return folded
    }

    /// Encodes the folded rows as COPY text, handing each chunk of `rowsPerChunk` rows to `send`;
    /// returns the batch with the set members (whole) and the member counts.
    package static func encode(_ folded: [[RollupDelta]], rowsPerChunk: Int,
                                send: ([UInt8]) throws -> Void) throws -> RollupBatch {
        var batch = RollupBatch(reservingRows: min(rowsPerChunk, folded.reduce(0) { $0 + $1.count }))
        for rows in folded {
            for delta in rows {
                try batch.append(delta)
                if batch.rows.rows >= rowsPerChunk {
                    try send(batch.rows.bytes)
                    batch.rows.removeAll()
                }
            }
        }
        try send(batch.rows.bytes)
        batch.rows.removeAll()
        return batch
    }

    /// What `write` would report for `deltas`, without the database.
    package static func summary(of deltas: [RollupDelta]) throws -> Summary {
        let folded = fold(deltas)
        let batch = try encode(folded, rowsPerChunk: 5_000) { _ in }
        var summary = Summary()
        summary.rows = folded.reduce(0) { $0 + $1.count }
        summary.members = batch.members.rows
        if summary.rows > 0 {
            summary.statements = 1 + (summary.members > 0 ? 1 : 0) + folded.filter { !$0.isEmpty }.count
        }
        return summary
    }

    /// The client-side work of `write` without the database (folding and COPY encoding); returns
    /// the bytes of COPY data. Public for the flush benchmark.
    public static func encodedCopyBytes(_ deltas: [RollupDelta], rowsPerChunk: Int = 5_000) throws -> Int {
        var bytes = 0
        let batch = try encode(fold(deltas), rowsPerChunk: rowsPerChunk) { bytes += $0.count }
        return bytes + batch.members.bytes.count
    }
}
