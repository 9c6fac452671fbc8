import MeterPostgres
import Testing

@Suite struct PostgresErrorTests {
    @Test(arguments: [
        ("postgresql://meterd:s3cret@db.example:5432/meterd", "postgresql://meterd:***@db.example:5432/meterd"),
        ("postgres://u:p%40ss@h/db?sslmode=require&password=s3cret", "postgres://u:***@h/db?sslmode=require&password=***"),
        ("postgresql://meterd@127.0.0.1:55432/meterd", "postgresql://meterd@127.0.0.1:55432/meterd"),
        ("host=db password=s3cret user=meterd", "host=db password=*** user=meterd"),
        ("host=db password = 'se cr\\'et' user=meterd", "host=db password = *** user=meterd"),
        ("PASSWORD=s3cret", "PASSWORD=***"),
        ("", ""),
    ])
    func connectionStringsAreRedacted(input: String, expected: String) {
        #expect(PostgresRedaction.redact(connectionString: input) == expected)
    }

    @Test func descriptionNeverShowsThePassword() {
        let error = PostgresError(code: .server, sqlState: "23505", message: "duplicate key", detail: "Key (tenant)=(acme)",
                                  target: PostgresRedaction.redact(connectionString: "postgresql://u:s3cret@h/db"))
        #expect(!error.description.contains("s3cret"))
        #expect(error.description.contains("23505"))
        #expect(!error.description.contains("acme"), "DETAIL can quote customer data")
        #expect(error.debugDescription.contains("acme"))
    }

    /// A real failed connection: nothing listens on port 1.
    @Test func failedConnectionIsRedactedAndTransient() throws {
        let error = try #require(throws: PostgresError.self) {
            _ = try PostgresConnection(connectionString: "postgresql://meterd:s3cret@127.0.0.1:1/meterd?connect_timeout=2")
        }
        #expect(error.code == .connectionFailed)
        #expect(error.isTransient)
        #expect(!String(describing: error).contains("s3cret"))
        #expect(!String(reflecting: error).contains("s3cret"))
        #expect(String(describing: error).contains("meterd:***@127.0.0.1:1"))
    }

    @Test func messagesAreScrubbedOfTheActualPassword() {
        #expect(PostgresRedaction.redact(message: "auth failed for s3cret", password: "s3cret") == "auth failed for ***")
        #expect(PostgresRedaction.redact(message: "unchanged", password: "") == "unchanged")
    }
}
