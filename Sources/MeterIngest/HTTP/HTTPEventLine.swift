import MeterCore

/// Converts one JSON event (docs/http-api.md) to its canonical line-protocol form, so the
/// line parser applies exactly the same rules, limits and refusal reasons to both:
///
///     {"tenant":"acme","metric":"llm.tokens","type":"c","value":12.5,"id":"req-1",
///      "time":1700000000,"tags":{"model":"gpt"}}
///  -> llm.tokens:12.5|c|#tenant:acme,id:req-1,model:gpt|T1700000000
///
/// Only JSON-shape problems are decided here (`bad_json_event`, `bad_field_type`, an unknown
/// key as `unknown_field`); everything else the parser decides on the line. A missing field
/// becomes an empty part, which the parser refuses with the line protocol's reason
/// (`missing_name`, `missing_value`, `missing_type`, `missing_tenant`).
///
/// A JSON string may hold bytes that are syntax in a line (`:` in a name or tag key, `,` in
/// tag parts, `|` anywhere). Each such byte is replaced by a control byte (0x01), which every
/// part of a line refuses, so the parser refuses the event with the reason of the part that
/// held it (`bad_name`, `bad_value`, `bad_tenant`, `bad_idempotency_key`, `bad_tag`), in the
/// line's order of checks: a string is never read as a different event.
public struct HTTPEventLine: Sendable {
    public let limits: ProtocolLimits
    let tenantKey: [UInt8]
    let idKey: [UInt8]

    /// Stands for a line-syntax byte inside a JSON string (see above).
    static let placeholder: UInt8 = 0x01

    public init(limits: ProtocolLimits) {
        self.limits = limits
        tenantKey = Array(limits.tenantTagKey.utf8)
        idKey = Array(limits.idTagKey.utf8)
    }

    enum Part { case name, value, tagKey, tagPart }

    /// The event's canonical line, or the JSON-shape reason it is refused.
    public func line(for event: JSONValue) -> Result<[UInt8], RefusalReason> {
        guard case .object(let members) = event else { return .failure(.badJSONEvent) }
        var tenant: [UInt8]?, metric: [UInt8]?, type: [UInt8]?, value: [UInt8]?, member: [UInt8]?
        var id: [UInt8]?, time: [UInt8]?
        var tags: [JSONMember] = []
        var seen = Set<[UInt8]>()
        for entry in members {
            guard seen.insert(entry.key).inserted else { return .failure(.badJSONEvent) }
            if entry.value == .null { continue }  // an absent optional field
            switch String(decoding: entry.key, as: UTF8.self) {
            case "tenant": guard case .string(let text) = entry.value else { return .failure(.badFieldType) }; tenant = text
            case "metric": guard case .string(let text) = entry.value else { return .failure(.badFieldType) }; metric = text
            case "type": guard case .string(let text) = entry.value else { return .failure(.badFieldType) }; type = text
            case "id": guard case .string(let text) = entry.value else { return .failure(.badFieldType) }; id = text
            case "value": guard let text = Self.scalarText(entry.value) else { return .failure(.badFieldType) }; value = text
            case "member": guard let text = Self.scalarText(entry.value) else { return .failure(.badFieldType) }; member = text
            case "time": guard case .number(let text) = entry.value else { return .failure(.badFieldType) }; time = text
            case "tags":
                guard case .object(let pairs) = entry.value else { return .failure(.badFieldType) }
                var keys = Set<[UInt8]>()
                for pair in pairs {
                    guard keys.insert(pair.key).inserted else { return .failure(.badJSONEvent) }
                    guard case .string = pair.value else { return .failure(.badFieldType) }
                }
                tags = pairs
            default: return .failure(.unknownField)
            }
        }
        let typeByte = type.map(Self.typeByte)
        // `value` belongs to counters and gauges, `member` to sets; the other is not a field of
        // that type. Without a valid type either one is the line's value (the type is refused first).
        switch typeByte {
        case UInt8(ascii: "s"): if value != nil { return .failure(.unknownField) }
        case UInt8(ascii: "c"), UInt8(ascii: "g"): if member != nil { return .failure(.unknownField) }
        default: break
        }

        var line: [UInt8] = []
        line.reserveCapacity(limits.maxLineBytes + 16)
        append(metric ?? [], as: .name, to: &line)
        line.append(UInt8(ascii: ":"))
        append(member ?? value ?? [], as: .value, to: &line)
        line.append(UInt8(ascii: "|"))
        if let typeByte { line.append(typeByte) }  // absent: `x:1||#...` is missing_type
        var section = 0
        func startTag(_ line: inout [UInt8]) {
            line.append(contentsOf: section == 0 ? [UInt8(ascii: "|"), UInt8(ascii: "#")] : [UInt8(ascii: ",")])
            section += 1
        }
        if let tenant {
            startTag(&line)
            line += tenantKey
            line.append(UInt8(ascii: ":"))
            append(tenant, as: .tagPart, to: &line)
        }
        if let id {
            startTag(&line)
            line += idKey
            line.append(UInt8(ascii: ":"))
            append(id, as: .tagPart, to: &line)
        }
        for tag in tags {
            guard case .string(let text) = tag.value else { continue }
            startTag(&line)
            append(tag.key, as: .tagKey, to: &line)
            line.append(UInt8(ascii: ":"))
            append(text, as: .tagPart, to: &line)
        }
        if let time {
            line.append(contentsOf: [UInt8(ascii: "|"), UInt8(ascii: "T")])
            line += time  // JSON number text: digits, '-', '.', 'e', '+' only
        }
        return .success(line)
    }

    /// A string's bytes or a number's text (value, member).
    static func scalarText(_ value: JSONValue) -> [UInt8]? {
        switch value {
        case .string(let text), .number(let text): text
        default: nil
        }
    }

    /// The line's type byte: `c`/`counter`, `g`/`gauge`, `s`/`set`; anything else becomes `?`,
    /// which the parser refuses as `unsupported_type` (an empty string as `missing_type`).
    static func typeByte(_ text: [UInt8]) -> UInt8 {
        switch String(decoding: text, as: UTF8.self) {
        case "c", "counter": UInt8(ascii: "c")
        case "g", "gauge": UInt8(ascii: "g")
        case "s", "set": UInt8(ascii: "s")
        case "": UInt8(ascii: "|")  // `x:1||...`: missing_type, as in a line
        default: UInt8(ascii: "?")
        }
    }

    func append(_ text: [UInt8], as part: Part, to line: inout [UInt8]) {
        for byte in text {
            let syntax: Bool = switch byte {
            case UInt8(ascii: "|"): true
            case UInt8(ascii: ":"): part == .name || part == .tagKey
            case UInt8(ascii: ","): part == .tagKey || part == .tagPart
            default: false
            }
            line.append(syntax ? Self.placeholder : byte)
        }
    }
}
