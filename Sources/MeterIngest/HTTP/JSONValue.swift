/// A parsed JSON value as HTTP ingestion needs it: strings as their UTF-8 bytes (escapes
/// decoded, validated UTF-8) and numbers as their text, never converted through binary
/// floating point (so `0.1` stays exactly one tenth). Object members keep their order and
/// any repeated key (the event converter refuses repeats).
public indirect enum JSONValue: Sendable, Equatable {
    case object([JSONMember])
    case array([JSONValue])
    case string([UInt8])
    /// The number's text as written, valid JSON number syntax.
    case number([UInt8])
    case bool(Bool)
    case null
}

public struct JSONMember: Sendable, Equatable {
    public var key: [UInt8]
    public var value: JSONValue

    public init(key: [UInt8], value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Where and why a JSON text is not valid.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset from the start of the text, 0-based.
    public var offset: Int
    /// 1-based line and column (in bytes) of `offset`.
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "\(message) at line \(line), column \(column) (byte \(offset))" }
}
