internal import CHiredis

/// One RESP2 reply, decoded from hiredis' `redisReply` tree into Swift values.
///
/// An error reply is a value, not a thrown error: in a pipeline one command can fail (a wrong
/// type, an overflowing `HINCRBY`) while the others succeed, and the caller decides.
public indirect enum RedisReply: Sendable, Hashable {
    /// `+OK`, `+PONG`, `+QUEUED`.
    case status(String)
    /// `-ERR ...`, `-WRONGTYPE ...`: the server's message, including its error code.
    case error(String)
    case integer(Int64)
    /// A bulk string: binary-safe bytes.
    case bulk([UInt8])
    /// The null bulk string or null array (`GET` of a missing key).
    case null
    case array([RedisReply])

    /// The text of a status or bulk reply; nil for other replies or non-UTF-8 bulk bytes.
    public var string: String? {
        switch self {
        case .status(let text): text
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value of an integer reply, or of a bulk reply holding a decimal integer
    /// (`HGET` of a counter field).
    public var int64: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self).flatMap { Int64($0) }
        default: nil
        }
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// Decodes a reply tree; the caller still owns (and frees) `reply`.
    init(decoding reply: UnsafePointer<redisReply>) {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STATUS:
            self = .status(Self.text(node))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(node))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(node.integer))
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(node))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(node.elements)
            if let children = node.element {
                for index in 0 ..< node.elements {
                    if let child = children[index] {
                        elements.append(RedisReply(decoding: child))
                    } else {
                        elements.append(.null)
                    }
                }
            }
            self = .array(elements)
        default:
            // REDIS_REPLY_NIL; hiredis 0.14 has no other types (no RESP3).
            self = .null
        }
    }

    private static func bytes(_ node: redisReply) -> [UInt8] {
        guard let str = node.str, node.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: str, count: node.len))
    }

    private static func text(_ node: redisReply) -> String {
        String(decoding: bytes(node), as: UTF8.self)
    }
}
