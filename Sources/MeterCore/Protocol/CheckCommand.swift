/// The entitlement check of the stream protocol (docs/line-protocol.md, "Entitlement check").
///
/// Request: `#check <tenant> <metric>`. Answer, one line, in order with the connection's other
/// answers: `#checked <tenant> <metric> allowed=yes|no|unknown reason=<word> ...` (the fields
/// of `GET /v1/entitlement`), or `#error <reason>` for a malformed request.
public enum CheckCommand {
    /// Longest tenant or metric name a check takes (the line protocol's own limits are lower).
    public static let maxNameBytes = 255

    public enum Request: Equatable, Sendable {
        case check(tenant: String, metric: String)
        case malformed(reason: String)
    }

    static let prefix = Array("#check".utf8)

    /// nil when `line` is not a check request.
    public static func parse(_ line: UnsafeRawBufferPointer) -> Request? {
        guard line.count >= prefix.count, line.first == UInt8(ascii: "#") else { return nil }
        for index in prefix.indices where line[index] != prefix[index] { return nil }
        var end = line.count
        if end > prefix.count, line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end > prefix.count else { return .malformed(reason: "check_missing_arguments") }
        guard line[prefix.count] == UInt8(ascii: " ") else { return nil }  // `#checkpoint`: not ours
        let words = UnsafeRawBufferPointer(rebasing: line[(prefix.count + 1) ..< end])
            .split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count == 2, !words[0].isEmpty, !words[1].isEmpty else {
            return .malformed(reason: "check_needs_tenant_and_metric")
        }
        guard words.allSatisfy({ $0.count <= maxNameBytes }) else { return .malformed(reason: "check_name_too_long") }
        guard words.allSatisfy({ $0.allSatisfy { $0 > 0x20 && $0 != 0x7F } }) else {
            return .malformed(reason: "check_bad_name")
        }
        let tenant = String(decoding: words[0], as: UTF8.self)
        let metric = String(decoding: words[1], as: UTF8.self)
        guard tenant.utf8.elementsEqual(words[0]), metric.utf8.elementsEqual(words[1]) else {
            return .malformed(reason: "check_bad_name")  // not UTF-8
        }
        return .check(tenant: tenant, metric: metric)
    }
}
