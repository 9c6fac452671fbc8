/// The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1).
public enum BearerCredentials {
    /// What is wrong with a header, or the token it carries.
    public enum Parsed: Equatable, Sendable {
        case token(String)
        /// No `Authorization` header.
        case missing
        /// Another scheme (`Basic`), no token, or characters a bearer token cannot hold.
        case malformed
    }

    /// Parses the value of the `Authorization` header (nil when absent). The scheme is
    /// case-insensitive; one or more spaces separate it from the token.
    public static func parse(_ header: String?) -> Parsed {
        guard let header else { return .missing }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count,
              zip(bytes, scheme).allSatisfy({ lowercased($0) == $1 }),
              bytes[scheme.count] == UInt8(ascii: " ") else { return .malformed }
        var token = bytes[(scheme.count + 1)...].drop { $0 == UInt8(ascii: " ") }
        while token.last == UInt8(ascii: " ") { token = token.dropLast() }
        guard !token.isEmpty, token.count <= HTTPAuthSettings.maximumTokenBytes, token.allSatisfy(isTokenByte) else {
            return .malformed
        }
        return .token(String(decoding: token, as: UTF8.self))
    }

    /// The characters of RFC 6750's b64token: A-Z a-z 0-9 - . _ ~ + / and trailing `=`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"),
             UInt8(ascii: "/"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
