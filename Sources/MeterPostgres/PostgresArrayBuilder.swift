/// Builds PostgreSQL's text form of a one-dimensional array (`{"a","b\"c",NULL,42}`) straight
/// into bytes: the batch columns of a flush are hundreds of thousands of elements, and building
/// them as Swift strings element by element cost more than the database's work.
///
/// Text elements are quoted (so empty strings, spaces, commas and the word NULL survive) with
/// `"` and `\` backslash-escaped; integers go unquoted; nil is an unquoted NULL.
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

    package mutating func append(_ value: Int64) {
        separate()
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// A 128-bit value as a uuid: 32 lower-case hex digits, high word first, dashes after
    /// digits 8, 12, 16 and 20.
    package mutating func appendUUID(high: UInt64, low: UInt64) {
        separate()
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for index in 0..<32 {
            if index == 8 || index == 12 || index == 16 || index == 20 { bytes.append(UInt8(ascii: "-")) }
            let word = index < 16 ? high : low
            let shift = UInt64(60 - 4 * (index % 16))
            bytes.append(digits[Int((word >> shift) & 0xF)])
        }
    }

    /// The finished literal.
    package func literal() -> String {
        var bytes = bytes
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
