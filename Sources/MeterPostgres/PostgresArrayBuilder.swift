/// Builds PostgreSQL's text form of a one-dimensional array (`{"a","b\"c",NULL}`) straight
/// into bytes, for the array parameters of `executeBatch` (the rollup flush itself uses COPY,
/// `PostgresCopyBuilder`).
///
/// Text elements are quoted (so empty strings, spaces, commas and the word NULL survive) with
/// `"` and `\` backslash-escaped; nil is an unquoted NULL.
package struct PostgresArrayBuilder {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    package private(set) var count = 0

    package init(reservingBytes capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
    }

    package mutating func appendNull() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "N"), UInt8(ascii: "U"), UInt8(ascii: "L"), UInt8(ascii: "L")])
    }

    package mutating func append(_ element: String?) {
        guard var text = element else { return appendNull() }
        separate()
        bytes.append(UInt8(ascii: "\""))
        text.withUTF8 { utf8 in
            if !utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The finished literal.
    package func literal() -> String {
        var bytes = bytes
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
