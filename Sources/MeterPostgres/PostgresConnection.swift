internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One blocking libpq connection.
///
/// Single owner: every call blocks the calling thread until the server answers, so the daemon
/// runs a connection on a thread of its own, never on the cooperative pool. Not `Sendable`: libpq
/// connections must not be used from two threads at once.
///
/// Statements go through `PQexecParams` with text-format parameters and results: no value is
/// ever spliced into SQL, and quantities travel as exact decimal text (never floating point).
public final class PostgresConnection {
    /// libpq's connection handle; nil once closed.
    var handle: OpaquePointer?
    /// The connection target, password masked: safe for errors and logs.
    public let redactedTarget: String
    /// The password given in the connection string, kept only to scrub it from messages.
    private let password: String?

    /// Connects with any libpq form of `connectionString`: a URI (`postgresql://user@host:5432/db`),
    /// key/value pairs (`host=/run/postgresql dbname=meterd`), or the empty string, which uses the
    /// `PG*` environment variables and libpq's defaults.
    ///
    /// - Parameters:
    ///   - defaults: keyword/value pairs applied before the connection string, which overrides
    ///     them (for example `("connect_timeout", "5")` unless the string sets its own).
    ///   - overrides: keyword/value pairs applied after the connection string (for example
    ///     `("dbname", "other")`), as `PQconnectdbParams` does with `expand_dbname`.
    public init(connectionString: String, defaults: [(key: String, value: String)] = [],
                overrides: [(key: String, value: String)] = []) throws {
        redactedTarget = PostgresRedaction.redact(connectionString: connectionString)
        password = Self.password(in: connectionString) ?? overrides.last(where: { $0.key == "password" })?.value
        // The connection string goes in as `dbname` with expand_dbname = 1, so libpq accepts
        // every form; later keywords override what it sets.
        let pairs = [("fallback_application_name", "meterd")] + defaults.map { ($0.key, $0.value) }
            + [("dbname", connectionString)] + overrides.map { ($0.key, $0.value) }
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection",
                                target: redactedTarget)
        }
        handle = connection
        // libpq prints server NOTICEs (e.g. "schema already exists, skipping") to stderr by
        // default; the daemon's logs are its own, so they are dropped here.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = lastErrorMessage()
            PQfinish(connection)
            handle = nil
            throw PostgresError(code: .connectionFailed, message: message, target: redactedTarget)
        }
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Closes the connection; later calls throw `connectionLost`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Whether the connection is open and usable, as far as libpq knows without a round trip.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Re-establishes a broken connection with the same parameters (`PQreset`).
    public func reset() throws {
        guard let handle else {
            throw PostgresError(code: .connectionLost, message: "connection closed", target: redactedTarget)
        }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(code: .connectionFailed, message: lastErrorMessage(), target: redactedTarget)
        }
    }

    /// The server version as libpq reports it, e.g. 150018 for 15.18.
    public var serverVersion: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Runs one statement. `parameters` bind to `$1`, `$2`, ... as text (nil is SQL NULL);
    /// the SQL text must contain exactly one statement.
    @discardableResult
    public func execute(_ sql: String, parameters: [String?] = []) throws -> PostgresResult {
        guard let handle else {
            throw PostgresError(code: .connectionLost, message: "connection closed", target: redactedTarget)
        }
        for parameter in parameters where parameter?.utf8.contains(0) == true {
            throw PostgresError(code: .invalidInput, message: "a text parameter contains a NUL byte",
                                target: redactedTarget)
        }
        let values = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { values.forEach { free($0) } }
        let result = values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, valuePointers.baseAddress, nil, nil, 0)
        }
        guard let result else {
            throw PostgresError(code: PQstatus(handle) == CONNECTION_OK ? .server : .connectionLost,
                                message: lastErrorMessage(), target: redactedTarget)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(copying: result)
        default:
            throw error(from: result, handle: handle)
        }
    }

    /// Runs `sql`, a `COPY ... FROM STDIN` in text format, and lets `body` stream the data:
    /// each call of the `send` it receives passes bytes (whole rows or not) to the server, which
    /// parses them while `body` builds the next. Returns the number of rows copied. If `body`
    /// throws, the COPY is ended with an error (nothing it sent stays) and the error rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (_ send: ([UInt8]) throws -> Void) throws -> Void) throws -> Int {
        guard let handle else {
            throw PostgresError(code: .connectionLost, message: "connection closed", target: redactedTarget)
        }
        guard let start = PQexec(handle, sql) else {
            throw PostgresError(code: PQstatus(handle) == CONNECTION_OK ? .server : .connectionLost,
                                message: lastErrorMessage(), target: redactedTarget)
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw error(from: start, handle: handle)
        }
        PQclear(start)
        var failure: (any Error)?
        do {
            try body { bytes in
                guard !bytes.isEmpty else { return }
                let sent = bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32(buffer.count)) }
                }
                guard sent == 1 else {
                    throw PostgresError(code: PQstatus(handle) == CONNECTION_OK ? .server : .connectionLost,
                                        message: self.lastErrorMessage(), target: self.redactedTarget)
                }
            }
        } catch {
            failure = error
        }
        let ended = PQputCopyEnd(handle, failure == nil ? nil : "COPY aborted by the client")
        // The COPY's own result (and any error), then nil.
        var outcome: Result<Int, any Error> = .failure(
            PostgresError(code: .connectionLost, message: ended == 1 ? "COPY ended without a result" : lastErrorMessage(),
                          target: redactedTarget))
        var first = true
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            guard first else { continue }
            first = false
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                outcome = .success(Int(String(cString: PQcmdTuples(result))) ?? 0)
            } else {
                outcome = .failure(error(from: result, handle: handle))
            }
        }
        if let failure { throw failure }
        return try outcome.get()
    }

    private func error(from result: OpaquePointer, handle: OpaquePointer) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let text = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: text)
        }
        let sqlState = field(UInt8(ascii: "C"))  // PG_DIAG_SQLSTATE
        let primary = field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(result))
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(code: lost ? .connectionLost : .server, sqlState: sqlState,
                             message: PostgresRedaction.redact(message: trimmed(primary), password: password),
                             detail: field(UInt8(ascii: "D")).map { PostgresRedaction.redact(message: $0, password: password) },
                             target: redactedTarget)
    }

    private func lastErrorMessage() -> String {
        guard let handle, let text = PQerrorMessage(handle) else { return "unknown libpq error" }
        return PostgresRedaction.redact(message: trimmed(String(cString: text)), password: password)
    }

    private func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }

    /// The password libpq would use from `connectionString` (URI user info, `?password=`, or the
    /// `password` keyword), found with libpq's own parser.
    private static func password(in connectionString: String) -> String? {
        guard !connectionString.isEmpty, let options = PQconninfoParse(connectionString, nil) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                return String(cString: value)
            }
            option += 1
        }
        return nil
    }
}
