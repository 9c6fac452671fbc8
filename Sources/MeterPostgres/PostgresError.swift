/// An error from the PostgreSQL adapter. Public API errors carry a code and never leak secrets:
/// `description` names the code, the SQLSTATE and the server's primary message with any password
/// of the connection string removed; the connection target appears only in redacted form
/// (`PostgresRedaction`). Server DETAIL lines, which can quote row values (customer data), are
/// kept out of `description` and shown only by `debugDescription`.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is; the SQLSTATE (when the server sent one) says more.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// Connecting failed (host down, authentication, unknown database).
        public static let connectionFailed = Code(name: "connectionFailed")
        /// The connection broke during a call; it may be reset and the work retried.
        public static let connectionLost = Code(name: "connectionLost")
        /// The server refused a statement; see `sqlState`.
        public static let server = Code(name: "server")
        /// The caller passed something PostgreSQL cannot take (a NUL byte in a text value, a
        /// malformed series key).
        public static let invalidInput = Code(name: "invalidInput")
        /// COMMIT ended in a rollback because the transaction had already failed.
        public static let transactionRolledBack = Code(name: "transactionRolledBack")
    }

    public var code: Code
    /// The five-character SQLSTATE, e.g. `23505`; nil for client-side errors.
    public var sqlState: String?
    /// The primary message, passwords redacted.
    public var message: String
    /// The server's DETAIL line, if any. May quote row values: not part of `description`.
    public var detail: String?
    /// The connection target with its password redacted.
    public var target: String?
    public var file: String
    public var line: Int

    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil, target: String? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.target = target
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "PostgresError(code: \(code)"
        if let sqlState { text += ", sqlState: \(sqlState)" }
        text += ", message: \"\(message)\""
        if let target { text += ", target: \"\(target)\"" }
        return text + ")"
    }

    public var debugDescription: String {
        var text = String(description.dropLast())
        if let detail { text += ", detail: \"\(detail)\"" }
        return text + ", at: \(file):\(line))"
    }

    /// Whether retrying later can succeed: connection problems, server shutdown or overload,
    /// serialization failures and deadlocks. Data errors (class 22, 23) and programming errors
    /// (42) are not transient: retrying the same batch fails the same way.
    public var isTransient: Bool {
        if code == .connectionFailed || code == .connectionLost { return true }
        guard let sqlState else { return false }
        if sqlState == "40001" || sqlState == "40P01" { return true }  // serialization failure, deadlock
        // 08 connection exception, 53 insufficient resources, 57 operator intervention
        // (admin shutdown, crash shutdown, cannot connect now), 58 system error.
        return ["08", "53", "57", "58"].contains(String(sqlState.prefix(2)))
    }
}
