/// Removes passwords from libpq connection strings and from messages, so neither logs nor error
/// descriptions ever show one (the idea behind postgres-nio's redacted `PSQLError.description`).
public enum PostgresRedaction {
    /// What a password is replaced with.
    public static let mask = "***"

    /// `connectionString` with its password masked, for any libpq form:
    /// - URI: `postgresql://user:secret@host/db?password=secret` -> `postgresql://user:***@host/db?password=***`
    /// - key/value: `host=h password='se cret' user=u` -> `host=h password=*** user=u`
    public static func redact(connectionString: String) -> String {
        if connectionString.hasPrefix("postgresql://") || connectionString.hasPrefix("postgres://") {
            return redactURI(connectionString)
        }
        return redactKeyValue(connectionString)
    }

    /// `message` with every occurrence of `password` (when it is non-empty) masked.
    public static func redact(message: String, password: String?) -> String {
        guard let password, !password.isEmpty else { return message }
        return message.replacing(password, with: mask)
    }

    static func redactURI(_ uri: String) -> String {
        let schemeEnd = uri.firstRange(of: "://")!.upperBound
        var result = String(uri[..<schemeEnd])
        let rest = uri[schemeEnd...]
        // The authority ends at the first '/' or '?'; the user info is before its last '@'.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":" + mask
            } else {
                result += userInfo
            }
            result += authority[at...]
        } else {
            result += authority
        }
        var tail = String(rest[authorityEnd...])
        if let query = tail.firstIndex(of: "?") {
            let parameters = tail[tail.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
            let redacted = parameters.map { parameter -> String in
                let key = parameter.split(separator: "=", maxSplits: 1).first ?? ""
                return key.lowercased() == "password" ? "\(key)=\(mask)" : String(parameter)
            }
            tail = tail[..<query] + "?" + redacted.joined(separator: "&")
        }
        return result + tail
    }

    /// Walks `key = value` pairs as libpq parses them: values are bare words or single-quoted
    /// with backslash escapes.
    static func redactKeyValue(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        while index < bytes.count {
            // Copy spaces, then the key.
            while index < bytes.count, isSpace(bytes[index]) { output.append(bytes[index]); index += 1 }
            let keyStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), !isSpace(bytes[index]) { index += 1 }
            let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
            output.append(contentsOf: bytes[keyStart..<index])
            while index < bytes.count, isSpace(bytes[index]) { output.append(bytes[index]); index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            output.append(bytes[index])
            index += 1
            while index < bytes.count, isSpace(bytes[index]) { output.append(bytes[index]); index += 1 }
            // The value.
            let valueStart = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "'") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "'") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index = min(index + 1, bytes.count)
            } else {
                while index < bytes.count, !isSpace(bytes[index]) {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index = min(index, bytes.count)
            }
            if key.lowercased() == "password" {
                output.append(contentsOf: mask.utf8)
            } else {
                output.append(contentsOf: bytes[valueStart..<index])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
