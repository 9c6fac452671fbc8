/// Where a Redis server is and how to log in: parsed from `redis://[[user]:password@]host[:port][/db]`.
///
/// `description` replaces the password with `***`, so an endpoint can be logged.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public static let defaultPort = 6379

    public var host: String
    public var port: Int
    /// Logical database selected with `SELECT` after connecting (0 is Redis' default).
    public var database: Int
    /// ACL user for `AUTH user password` (Redis 6+); nil means `AUTH password`.
    public var username: String?
    public var password: String?

    public init(host: String, port: Int = RedisEndpoint.defaultPort, database: Int = 0,
                username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`. Userinfo is percent-decoded; an IPv6
    /// host goes in brackets (`redis://[::1]:6379`). `rediss://` (TLS) is refused: hiredis 0.14.1
    /// has no TLS. Errors never repeat the URL, which may hold a password.
    public init(url: String) throws(RedisError) {
        func invalid(_ message: String) -> RedisError { RedisError(.invalidURL, message) }
        var rest = Substring(url)
        if rest.hasPrefix("rediss://") { throw invalid("rediss:// (TLS) is not supported by hiredis 0.14") }
        guard rest.hasPrefix("redis://") else { throw invalid("the URL must start with redis://") }
        rest = rest.dropFirst("redis://".count)
        if rest.contains("?") || rest.contains("#") { throw invalid("query parameters and fragments are not supported") }

        // Userinfo ends at the last '@' (a password may contain '@' only percent-encoded, but be lenient).
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = userinfo[..<colon]
                guard let decodedUser = Self.percentDecoded(user),
                      let decodedPassword = Self.percentDecoded(userinfo[userinfo.index(after: colon)...]) else {
                    throw invalid("bad percent-encoding in the user or password")
                }
                username = decodedUser.isEmpty ? nil : decodedUser
                password = decodedPassword
            } else {
                // `redis://secret@host` is the classic password-only form.
                guard let decoded = Self.percentDecoded(userinfo) else { throw invalid("bad percent-encoding in the password") }
                password = decoded
            }
        }

        var hostPort = rest
        var databaseText: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            databaseText = rest[rest.index(after: slash)...]
        }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unterminated [ in the IPv6 host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex) ..< close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw invalid("the host is missing") }

        var port = RedisEndpoint.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else { throw invalid("the port must be 1...65535") }
            port = value
        }
        var database = 0
        if !databaseText.isEmpty {
            guard let value = Int(databaseText), value >= 0 else { throw invalid("the database must be a non-negative integer") }
            database = value
        }
        self.init(host: String(host), port: port, database: database, username: username, password: password)
    }

    public var description: String {
        var text = "redis://"
        if let username { text += username }
        if password != nil { text += ":***" }
        if username != nil || password != nil { text += "@" }
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)"
        if database != 0 { text += "/\(database)" }
        return text
    }

    /// Decodes `%XX` escapes; nil on a malformed escape or invalid UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte != UInt8(ascii: "%") {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
