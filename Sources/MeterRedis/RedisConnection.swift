#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHiredis

/// One blocking connection to Redis through hiredis, for a dedicated thread (the live-counter
/// mirror): every call blocks the calling thread for at most the command timeout.
///
/// One owner; not thread-safe. Reconnecting is the caller's job: after any I/O error, timeout
/// or protocol error the hiredis context is unusable (a late reply could be read as the answer
/// to the next command), so it is freed at once, `isConnected` turns false, and the next call
/// throws `connectionLost` until `reconnect()` succeeds.
///
/// The process must ignore `SIGPIPE` (the daemon does at start-up): hiredis 0.14 writes with
/// `write(2)`, and writing to a connection the server has closed raises it.
public final class RedisConnection {
    public let endpoint: RedisEndpoint
    public let connectTimeout: Duration
    public let commandTimeout: Duration

    var context: UnsafeMutablePointer<redisContext>?
    /// Scratch space for argument marshalling, reused by every command so a pipeline of n
    /// commands does not allocate n argument arrays.
    var argumentBytes: [UInt8] = []
    var argumentLengths: [Int] = []
    var argumentOffsets: [Int] = []

    /// Connects (TCP, then `AUTH` and `SELECT` when the endpoint asks for them).
    public init(endpoint: RedisEndpoint, connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2)) throws(RedisError) {
        precondition(connectTimeout > .zero && commandTimeout > .zero, "Redis timeouts must be positive")
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        try connect()
    }

    /// Parses `url` (see `RedisEndpoint.init(url:)`) and connects.
    public convenience init(url: String, connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2)) throws(RedisError) {
        try self.init(endpoint: RedisEndpoint(url: url), connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    deinit {
        if let context { redisFree(context) }
    }

    /// True while the connection has had no error and was not closed.
    public var isConnected: Bool {
        guard let context else { return false }
        return context.pointee.err == 0
    }

    /// Drops the current connection (if any) and connects again.
    public func reconnect() throws(RedisError) {
        close()
        try connect()
    }

    /// Closes the connection; later commands throw `connectionLost` until `reconnect()`.
    public func close() {
        if let context {
            redisFree(context)
            self.context = nil
        }
    }

    private func connect() throws(RedisError) {
        let created = endpoint.host.withCString { host in
            redisConnectWithTimeout(host, Int32(endpoint.port), Self.timeval(connectTimeout))
        }
        guard let created else {
            throw RedisError(.connectFailed, "hiredis could not allocate a context", endpoint: endpoint.description)
        }
        if created.pointee.err != 0 {
            let error = failure(of: created, savedErrno: errno, connecting: true)
            redisFree(created)
            throw error
        }
        if redisSetTimeout(created, Self.timeval(commandTimeout)) != REDIS_OK {
            let error = failure(of: created, savedErrno: errno, connecting: true)
            redisFree(created)
            throw error
        }
        context = created
        if let password = endpoint.password {
            var arguments = ["AUTH"]
            if let username = endpoint.username { arguments.append(username) }
            arguments.append(password)
            try requireSuccess(arguments, what: "AUTH")
        }
        if endpoint.database != 0 {
            try requireSuccess(["SELECT", String(endpoint.database)], what: "SELECT \(endpoint.database)")
        }
    }

    /// Runs a set-up command whose error reply must fail the connection. The arguments (a
    /// password) never reach the error; the server's message does (it names no secret).
    private func requireSuccess(_ arguments: [String], what: String) throws(RedisError) {
        let reply: RedisReply
        do {
            reply = try command(arguments)
        } catch {
            close()
            throw error
        }
        if case .error(let message) = reply {
            close()
            throw RedisError(.serverError, "\(what) failed: \(message)", endpoint: endpoint.description)
        }
    }

    /// The error recorded in `context`, classified. `savedErrno` must be read right after the
    /// failing hiredis call, before anything else can change `errno`.
    func failure(of context: UnsafeMutablePointer<redisContext>, savedErrno: Int32, connecting: Bool) -> RedisError {
        let code = context.pointee.err
        // errstr is `char[128]`, imported as a tuple of 128 CChar: read it as bytes up to the NUL.
        let message = withUnsafeBytes(of: &context.pointee.errstr) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let kind: RedisError.Kind
        switch code {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT:
            kind = .timeout
        case REDIS_ERR_IO where message.contains("timed out") || message.contains("temporarily unavailable"):
            kind = .timeout
        case REDIS_ERR_PROTOCOL:
            kind = .protocolError
        default:
            kind = connecting ? .connectFailed : .connectionLost
        }
        let text = message.isEmpty ? "hiredis error \(code)" : message
        return RedisError(kind, text, endpoint: endpoint.description)
    }

    static func timeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
