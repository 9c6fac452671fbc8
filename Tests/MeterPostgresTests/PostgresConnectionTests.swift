import MeterPostgres
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PostgresConnectionTests {
    @Test func parametersAndNullsRoundTripAsText() throws {
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        #expect(connection.serverVersion >= 140_000)
        let result = try connection.execute("SELECT $1::text AS a, $2::numeric + 1 AS b, $3::text IS NULL AS c",
                                            parameters: ["it's \"quoted\"", "0.000001", nil])
        #expect(result.columns == ["a", "b", "c"])
        #expect(result.rows == [["it's \"quoted\"", "1.000001", "t"]])
        #expect(result[0, "b"] == "1.000001")
    }

    @Test func arrayColumnsSurviveAwkwardText() throws {
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        let values: [String?] = ["", "NULL", nil, "a,b", "{x}", "back\\slash", "quo\"te", " spaced ", "ünï"]
        let result = try connection.executeBatch("SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
                                                 columns: [values])
        #expect(result.rows.map { $0[0] } == values)
    }

    @Test func keyValueFormAndOverridesWork() throws {
        // Build a key/value string from the URL's parts via the server itself.
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        let row = try connection.execute("SELECT current_user, current_database(), inet_server_port()").rows[0]
        let keyValue = "host=127.0.0.1 port=\(row[2]!) user=\(row[0]!) dbname=postgres"
        let other = try PostgresConnection(connectionString: keyValue, overrides: [("dbname", row[1]!)])
        #expect(try other.execute("SELECT current_database()").rows[0][0] == row[1])
    }

    @Test func failedTransactionRollsBackAndReportsSQLState() throws {
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        try connection.execute("CREATE TEMPORARY TABLE t (x int PRIMARY KEY)")
        let error = try #require(throws: PostgresError.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO t VALUES (1)")
                try connection.execute("INSERT INTO t VALUES (1)")
            }
        }
        #expect(error.code == .server)
        #expect(error.sqlState == "23505")
        #expect(!error.isTransient)
        #expect(try connection.execute("SELECT count(*) FROM t").rows[0][0] == "0")

        // An error swallowed inside the body still cannot commit.
        let rolledBack = try #require(throws: PostgresError.self) {
            try connection.transaction {
                _ = try? connection.execute("SELECT 1/0")
            }
        }
        #expect(rolledBack.code == .transactionRolledBack)
    }

    @Test func nulBytesAreRefusedBeforeSending() throws {
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        let error = try #require(throws: PostgresError.self) {
            try connection.execute("SELECT $1::text", parameters: ["a\u{0}b"])
        }
        #expect(error.code == .invalidInput)
    }
}
