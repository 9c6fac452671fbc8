import MeterCore

/// The arrival time used by parser tests, in Unix seconds (2023-11-14T22:13:20Z).
let testNow: Int64 = 1_700_000_000

/// The reasons only the aggregator returns.
let aggregatorReasons: Set<RefusalReason> = [
    .tenantSeriesLimit, .seriesLimit, .dimensionValueLimit, .setMemberLimit, .quantityOverflow,
]
/// The reasons a transport or the WAL decides, not the parser (tested with the listeners;
/// the HTTP JSON reasons in MeterIngestTests' HTTPEventLineTests).
let transportReasons: Set<RefusalReason> = [.datagramTruncated, .walFull, .badJSONEvent, .badFieldType]
/// Every other reason is the parser's.
let parserReasons = Set(RefusalReason.allCases).subtracting(aggregatorReasons).subtracting(transportReasons)

/// An accepted line with every part copied out of the parsed buffer, for comparisons.
struct DecodedLine: Equatable, CustomStringConvertible {
    var metric: [UInt8]
    var type: MetricType
    var value: Quantity
    var member: [UInt8]
    var tenant: [UInt8]
    var id: [UInt8]?
    var timestamp: Int64
    var dimensions: [Tag]

    struct Tag: Equatable {
        var key: [UInt8]
        var value: [UInt8]
    }

    var description: String {
        func s(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        let dims = dimensions.map { "\(s($0.key))=\(s($0.value))" }.joined(separator: ",")
        return "\(s(metric)) \(type) \(value) member=\(s(member)) tenant=\(s(tenant)) id=\(id.map(s) ?? "nil") t=\(timestamp) [\(dims)]"
    }

    init(metric: [UInt8], type: MetricType, value: Quantity, member: [UInt8], tenant: [UInt8],
         id: [UInt8]?, timestamp: Int64, dimensions: [Tag]) {
        self.metric = metric
        self.type = type
        self.value = value
        self.member = member
        self.tenant = tenant
        self.id = id
        self.timestamp = timestamp
        self.dimensions = dimensions
    }

    init(_ parsed: ParsedLine, in bytes: [UInt8]) {
        metric = Array(bytes[parsed.metric])
        type = parsed.type
        value = parsed.value
        member = Array(bytes[parsed.member])
        tenant = Array(bytes[parsed.tenant])
        id = parsed.id.map { Array(bytes[$0]) }
        timestamp = parsed.timestamp
        dimensions = parsed.dimensions.map { Tag(key: Array(bytes[$0.key]), value: Array(bytes[$0.value])) }
    }
}

/// The outcome of parsing one line, with the parsed ranges checked to lie inside it.
struct ParseOutcome {
    var refusal: RefusalReason?
    var parsed: ParsedLine
    var bytes: [UInt8]

    var accepted: Bool { refusal == nil }
    var decoded: DecodedLine { DecodedLine(parsed, in: bytes) }

    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
    var dimensionPairs: [String] { parsed.dimensions.map { "\(text($0.key)):\(text($0.value))" } }

    /// Whether every range in `parsed` lies inside the line.
    var rangesInBounds: Bool {
        func inside(_ range: Range<Int>) -> Bool { range.lowerBound >= 0 && range.upperBound <= bytes.count }
        return inside(parsed.metric) && inside(parsed.member) && inside(parsed.tenant)
            && (parsed.id.map(inside) ?? true)
            && parsed.dimensions.allSatisfy { inside($0.key) && inside($0.value) }
    }
}

func parse(_ bytes: [UInt8], parser: LineParser, now: Int64 = testNow) -> ParseOutcome {
    var parsed = parser.makeParsedLine()
    let refusal = bytes.withUnsafeBytes { parser.parse($0, now: now, into: &parsed) }
    return ParseOutcome(refusal: refusal, parsed: parsed, bytes: bytes)
}

func parse(_ text: String, limits: ProtocolLimits = ProtocolLimits(), now: Int64 = testNow) -> ParseOutcome {
    parse(Array(text.utf8), parser: LineParser(limits: limits), now: now)
}

/// An independent, allocation-happy restatement of the protocol rules (see
/// `docs/line-protocol.md`), written with splits over arrays rather than index scanning.
/// Fuzz tests compare the real parser against it on every input.
enum ReferenceParser {
    enum Verdict: Equatable {
        case accepted(DecodedLine)
        case refused(RefusalReason)
    }

    static func parse(_ line: [UInt8], limits: ProtocolLimits, now: Int64) -> Verdict {
        if line.count > limits.maxLineBytes { return .refused(.lineTooLong) }
        guard let colon = line.firstIndex(of: ascii(":")), colon > 0 else { return .refused(.missingName) }
        let name = Array(line[..<colon])
        if name.count > limits.maxNameBytes { return .refused(.nameTooLong) }
        if !name.allSatisfy(isNameByte) { return .refused(.badName) }

        let parts = line[(colon + 1)...].split(separator: ascii("|"), omittingEmptySubsequences: false).map(Array.init)
        let valueText = parts[0]
        if valueText.isEmpty { return .refused(.missingValue) }
        if parts.count == 1 || parts[1].isEmpty { return .refused(.missingType) }
        let type: MetricType
        switch String(decoding: parts[1], as: UTF8.self) {
        case "c": type = .counter
        case "g": type = .gauge
        case "s": type = .set
        default: return .refused(.unsupportedType)
        }

        var value = Quantity.zero
        var member: [UInt8] = []
        if type == .set {
            if valueText.count > limits.maxMemberBytes { return .refused(.memberTooLong) }
            if valueText.contains(where: isControl) { return .refused(.badValue) }
            member = valueText
        } else {
            switch valueText.withUnsafeBytes({ Quantity.parse($0) }) {
            case .failure(.malformed): return .refused(.badValue)
            case .failure(.tooPrecise): return .refused(.valueTooPrecise)
            case .failure(.outOfRange): return .refused(.valueOutOfRange)
            case .success(let parsed):
                if type == .counter && parsed < .zero { return .refused(.negativeCounter) }
                value = parsed
            }
        }

        var tenant: [UInt8]?
        var id: [UInt8]?
        var timestamp: Int64?
        var dimensions: [DecodedLine.Tag] = []
        let tenantKey = Array(limits.tenantTagKey.utf8)
        let idKey = Array(limits.idTagKey.utf8)
        for field in parts.dropFirst(2) {
            guard let first = field.first else { return .refused(.unknownField) }
            let text = String(decoding: field, as: UTF8.self)
            if first == ascii("#") {
                for tag in field.dropFirst().split(separator: ascii(","), omittingEmptySubsequences: false) {
                    guard let split = tag.firstIndex(of: ascii(":")), split > tag.startIndex else { return .refused(.badTag) }
                    let key = Array(tag[..<split])
                    let tagValue = Array(tag[(split + 1)...])
                    if key == tenantKey {
                        if tagValue.isEmpty || tagValue.count > limits.maxTenantBytes || !tagValue.allSatisfy(isNameByte) {
                            return .refused(.badTenant)
                        }
                        if tenant != nil { return .refused(.duplicateTag) }
                        tenant = tagValue
                    } else if key == idKey {
                        if tagValue.isEmpty || tagValue.count > limits.maxIDBytes || tagValue.contains(where: isControl) {
                            return .refused(.badIdempotencyKey)
                        }
                        if id != nil { return .refused(.duplicateTag) }
                        id = tagValue
                    } else {
                        if key.count > limits.maxTagBytes { return .refused(.tagTooLong) }
                        if !key.allSatisfy({ isNameByte($0) || $0 == ascii("/") }) { return .refused(.badTag) }
                        if tagValue.isEmpty { return .refused(.badTag) }
                        if tagValue.count > limits.maxTagBytes { return .refused(.tagTooLong) }
                        if tagValue.contains(where: isControl) { return .refused(.badTag) }
                        if dimensions.contains(where: { $0.key == key }) { return .refused(.duplicateTag) }
                        if dimensions.count >= limits.maxDimensions { return .refused(.tooManyTags) }
                        dimensions.append(DecodedLine.Tag(key: key, value: tagValue))
                    }
                }
            } else if first == ascii("T") {
                if timestamp != nil { return .refused(.badTimestamp) }
                let digits = field.dropFirst()
                guard (1...18).contains(digits.count), digits.allSatisfy({ (ascii("0")...ascii("9")).contains($0) }),
                      let seconds = Int64(String(decoding: digits, as: UTF8.self)) else { return .refused(.badTimestamp) }
                // Compare in 128 bits so the bounds never overflow.
                if Int128(seconds) < Int128(now) - Int128(limits.maxLatenessSeconds) { return .refused(.tooLate) }
                if Int128(seconds) > Int128(now) + Int128(limits.maxFutureSeconds) { return .refused(.tooFarInFuture) }
                timestamp = seconds
            } else if first == ascii("@") {
                return .refused(.sampleRate)
            } else if text.hasPrefix("c:") || text.hasPrefix("e:") || text.hasPrefix("card:") {
                continue
            } else {
                return .refused(.unknownField)
            }
        }
        guard let tenant else { return .refused(.missingTenant) }
        dimensions.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return .accepted(DecodedLine(metric: name, type: type, value: value, member: member, tenant: tenant,
                                    id: id, timestamp: timestamp ?? now, dimensions: dimensions))
    }

    static func ascii(_ scalar: Unicode.Scalar) -> UInt8 { UInt8(ascii: scalar) }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case ascii("a")...ascii("z"), ascii("A")...ascii("Z"), ascii("0")...ascii("9"), ascii("_"), ascii("."), ascii("-"):
            true
        default:
            false
        }
    }

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
}
