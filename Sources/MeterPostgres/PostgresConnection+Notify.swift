internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One asynchronous notification (`NOTIFY channel, 'payload'` or `pg_notify`).
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int
}

extension PostgresConnection {
    /// `LISTEN` on `channel` (quoted as an identifier, so any name works).
    public func listen(_ channel: String) throws {
        try execute("LISTEN \"\(channel.replacingDoubleQuotes)\"")
    }

    /// The next notification, waiting at most `timeout` for one; nil when none came.
    public func nextNotification(timeout: Duration) throws -> PostgresNotification? {
        guard let handle else {
            throw PostgresError(code: .connectionLost, message: "connection closed", target: redactedTarget)
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            if PQconsumeInput(handle) == 0 {
                throw PostgresError(code: .connectionLost, message: String(cString: PQerrorMessage(handle)),
                                    target: redactedTarget)
            }
            if let notice = PQnotifies(handle) {
                defer { PQfreemem(notice) }
                return PostgresNotification(channel: String(cString: notice.pointee.relname),
                                            payload: String(cString: notice.pointee.extra),
                                            senderPID: Int(notice.pointee.be_pid))
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let (seconds, attoseconds) = left.components
            _ = poll(&descriptor, 1, Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, 60_000)))
        }
    }
}

extension String {
    fileprivate var replacingDoubleQuotes: String {
        var text = ""
        for character in self { text += character == "\"" ? "\"\"" : String(character) }
        return text
    }
}
