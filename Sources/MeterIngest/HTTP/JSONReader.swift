/// A strict JSON (RFC 8259) reader over bytes, for request bodies. It keeps number text
/// exact (`JSONValue.number`), rejects invalid UTF-8 in strings, and bounds nesting depth so
/// a hostile body cannot exhaust the stack.
public struct JSONReader {
    /// Deepest nesting accepted; an event needs 3 (array, event, tags).
    public static let maxDepth = 32

    let bytes: UnsafeRawBufferPointer
    var index: Int
    /// Added to reported offsets: where `bytes` starts in the whole body.
    let baseOffset: Int
    let whole: UnsafeRawBufferPointer

    /// Reads exactly one JSON value filling `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONReader(bytes: bytes, index: 0, baseOffset: 0, whole: bytes)
        return try reader.parseDocument()
    }

    /// Reads the value in `bytes[range]`; errors report offsets, lines and columns in `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONReader(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]), index: 0, baseOffset: range.lowerBound, whole: bytes)
        return try reader.parseDocument()
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw error("empty document, expected a JSON value") }
        let value = try parseValue(depth: 0)
        skipSpace()
        if index < bytes.count { throw error("unexpected data after the JSON value") }
        return value
    }

    /// Calls `body` with each element of the top-level array in `bytes` as it is read, and
    /// returns how many there were; throws when the text is not one JSON array.
    public static func forEachElement(ofArray bytes: UnsafeRawBufferPointer,
                                      _ body: (JSONValue) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) -> Int {
        var reader = JSONReader(bytes: bytes, index: 0, baseOffset: 0, whole: bytes)
        reader.skipSpace()
        guard reader.index < bytes.count else { throw reader.error("empty body, expected a JSON array of events") }
        guard reader.peek == UInt8(ascii: "[") else { throw reader.error("expected a JSON array of events ('[')") }
        reader.index += 1
        var count = 0
        reader.skipSpace()
        if reader.peek == UInt8(ascii: "]") {
            reader.index += 1
        } else {
            while true {
                reader.skipSpace()
                try body(try reader.parseValue(depth: 1))
                count += 1
                reader.skipSpace()
                guard let byte = reader.peek else { throw reader.error("unterminated array, expected ',' or ']'") }
                reader.index += 1
                if byte == UInt8(ascii: "]") { break }
                if byte != UInt8(ascii: ",") { reader.index -= 1; throw reader.error("expected ',' or ']' in the array") }
            }
        }
        reader.skipSpace()
        if reader.index < bytes.count { throw reader.error("unexpected data after the array") }
        return count
    }

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func error(_ message: String) -> JSONSyntaxError {
        let offset = baseOffset + index
        var line = 1
        var lineStart = 0
        for position in 0..<min(offset, whole.count) where whole[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        return JSONSyntaxError(offset: offset, line: line, column: offset - lineStart + 1, message: message)
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard let byte = peek else { throw error("unexpected end, expected a JSON value") }
        switch byte {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
            return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
            return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character, expected a JSON value")
        }
    }

    mutating func expectWord(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("invalid literal") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw error("invalid literal")
        }
        index += count
    }

    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        index += 1
        var members: [JSONMember] = []
        skipSpace()
        if peek == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw error("expected a string key in the object") }
            let key = try parseString()
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after the object key") }
            index += 1
            skipSpace()
            let value = try parseValue(depth: depth)
            members.append(JSONMember(key: key, value: value))
            skipSpace()
            guard let byte = peek else { throw error("unterminated object, expected ',' or '}'") }
            if byte == UInt8(ascii: "}") { index += 1; return .object(members) }
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or '}' in the object") }
            index += 1
        }
    }

    mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipSpace()
        if peek == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipSpace()
            elements.append(try parseValue(depth: depth))
            skipSpace()
            guard let byte = peek else { throw error("unterminated array, expected ',' or ']'") }
            if byte == UInt8(ascii: "]") { index += 1; return .array(elements) }
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or ']' in the array") }
            index += 1
        }
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> [UInt8] {
        let start = index
        func digits(_ reader: inout JSONReader) -> Int {
            let first = reader.index
            while let byte = reader.peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { reader.index += 1 }
            return reader.index - first
        }
        if peek == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("invalid number: expected a digit") }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") {
            index = integerStart
            throw error("invalid number: leading zero")
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw error("invalid number: expected a digit after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("invalid number: expected a digit in the exponent") }
        }
        return Array(bytes[start..<index])
    }

    mutating func parseString() throws(JSONSyntaxError) -> [UInt8] {
        let start = index
        index += 1
        var out: [UInt8] = []
        while true {
            guard let byte = peek else { index = start; throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard String(validating: out, as: UTF8.self) != nil else {
                    index = start
                    throw error("invalid UTF-8 in the string")
                }
                return out
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = peek else { throw error("unterminated escape") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(to: &out)
                default: index -= 1; throw error("invalid escape in the string")
                }
            case 0x00..<0x20:
                throw error("unescaped control character in the string")
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    mutating func appendUnicodeEscape(to out: inout [UInt8]) throws(JSONSyntaxError) {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate in \\u escape")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw error("unpaired surrogate in \\u escape")
        }
        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
    }
}
