internal import CLibPQ

/// The rows of one statement, copied out of libpq's `PGresult` (which is freed at once), all in
/// text format: `nil` is SQL NULL.
public struct PostgresResult: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    /// The command tag, e.g. `INSERT 0 5`, `COMMIT`, `ROLLBACK`.
    public var commandTag: String
    /// Rows affected by INSERT, UPDATE, DELETE, MERGE, SELECT, ...; 0 when the command reports none.
    public var affectedRows: Int

    init(copying result: OpaquePointer) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        commandTag = String(cString: PQcmdStatus(result))
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The value at `row` in the column named `column`; nil for NULL or an unknown column.
    public subscript(row: Int, column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return rows[row][index]
    }
}
