/// Batched statements: many rows, one round trip.
///
/// Each column of the batch travels as ONE text-format array parameter, and the statement
/// expands them with `unnest($1::text[], $2::numeric[], ...)`. Chosen over the alternatives:
/// - multi-row `VALUES ($1, $2), ($3, $4), ...`: the statement text changes with the row count
///   (no plan reuse), and the protocol's 65,535 bind parameters cap a batch at a few thousand
///   rows of 13 columns;
/// - pipeline mode: still one statement per row for the server to parse, bind and execute, and
///   its error handling (aborted pipelines, syncs) is subtle; measured about 105k statements/s
///   here, below what one set-based upsert does;
/// - COPY into a temporary table then `INSERT ... SELECT`: fastest raw load (the server parses
///   COPY text about three times faster than array literals), at the price of a staging table;
///   the rollup flush does this (`RollupWriter`, `copyIn`), where the rows are many.
/// With `unnest` the statement text is constant, the parameter count is fixed (one per column),
/// and the server runs one set-based upsert per batch.
extension PostgresConnection {
    /// Runs `sql` with each of `columns` bound, in order, as one array parameter (`$1` ... `$n`),
    /// followed by `trailing` scalar parameters. Columns expanded by one `unnest(...)` should have
    /// equal lengths (a shorter one is padded with NULLs); separate `unnest`s may differ.
    @discardableResult
    public func executeBatch(_ sql: String, columns: [[String?]], trailing: [String?] = []) throws -> PostgresResult {
        try execute(sql, parameters: columns.map { PostgresArrayLiteral.encode($0) } + trailing)
    }
}

/// PostgreSQL's text form of a one-dimensional array: `{"a","b\"c",NULL}`.
/// Every element is quoted (so empty strings, spaces, commas and the word NULL survive) and
/// `"` and `\` are backslash-escaped; nil becomes an unquoted NULL (`PostgresArrayBuilder`).
public enum PostgresArrayLiteral {
    public static func encode(_ elements: [String?]) -> String {
        var builder = PostgresArrayBuilder(reservingBytes: elements.count * 12 + 2)
        for element in elements { builder.append(element) }
        return builder.literal()
    }
}
