/// Parses and validates one DogStatsD-compatible line:
///
///     <metric>:<value>|<type>|#tenant:<id>[,id:<event-id>][,<dim>:<val>...][|T<unix-seconds>]
///
/// `parse` never allocates, never traps and never reads outside the line, whatever its bytes.
/// The accepted line is described by byte ranges into the caller's buffer (see `ParsedLine`).
///
/// Rules, checked in this order; the first failing rule decides the `RefusalReason`:
///
/// 1. A line (terminator excluded) longer than `maxLineBytes` is `lineTooLong`.
/// 2. Name: the bytes before the first `:`. No `:`, or nothing before it: `missingName`.
///    Longer than `maxNameBytes`: `nameTooLong`. A byte outside `[A-Za-z0-9_.-]`: `badName`.
///    (A DogStatsD event `_e{...}:...` and a service check `_sc|...` with tags are refused here
///    as `badName`; a service check without any `:` is `missingName`.)
/// 3. Value: the bytes from after that `:` to the next `|`. Empty: `missingValue`.
///    No `|` after it: `missingType`.
/// 4. Type: the bytes after that `|` up to the next `|` or the end. Empty: `missingType`;
///    `c` counter, `g` gauge, `s` set; anything else (`ms`, `h`, `d`, `cc`...): `unsupportedType`.
/// 5. Value, now that the type is known. Counter and gauge: an exact decimal (`Quantity.parse`),
///    `badValue`, `valueTooPrecise` or `valueOutOfRange` when it is not; a negative counter is
///    `negativeCounter`. Set: the value is the member, raw bytes; longer than `maxMemberBytes`
///    is `memberTooLong`, a control byte (< 0x20 or 0x7F) is `badValue`.
/// 6. Fields after the type, left to right, each introduced by `|`:
///    - `#tags`: see below; a second `#` section is merged with the first;
///    - `T<seconds>`: 1 to 18 ASCII digits, else `badTimestamp`; a second `T` field is
///      `badTimestamp`; older than `now - maxLatenessSeconds` is `tooLate`, newer than
///      `now + maxFutureSeconds` is `tooFarInFuture`;
///    - `@<rate>`: `sampleRate` (a bill cannot be sampled);
///    - `c:...`, `e:...`, `card:...` (DogStatsD container, external data, cardinality):
///      accepted and ignored;
///    - anything else, including an empty field (`||`, a trailing `|`): `unknownField`.
/// 7. No tenant tag in any section: `missingTenant`.
///
/// Tags are comma-separated `key:value`, split at the first `:` (values may contain `:`).
/// Per tag, in order: an empty tag (`,,`, a leading or trailing comma, an empty `#` section),
/// no `:`, or an empty key is `badTag`. Then by key:
/// - the tenant key (`tenantTagKey`): a value of 1...`maxTenantBytes` bytes of
///   `[A-Za-z0-9_.-]`, else `badTenant`;
/// - the id key (`idTagKey`): a value of 1...`maxIDBytes` bytes without control bytes, else
///   `badIdempotencyKey`;
/// - any other key is a dimension: a key longer than `maxTagBytes` is `tagTooLong`, a key byte
///   outside `[A-Za-z0-9_.-/]` is `badTag`, an empty value is `badTag`, a value longer than
///   `maxTagBytes` is `tagTooLong`, a control byte in the value is `badTag`.
///
/// A key seen before on the line (tenant and id included, across sections) is then
/// `duplicateTag`, and a dimension beyond the first `maxDimensions` is `tooManyTags` (the
/// tenant and id tags do not count). Accepted dimensions are sorted by key bytes, so equal
/// tag sets give equal series keys whatever order the sender used.
public struct LineParser: Sendable {
    public let limits: ProtocolLimits

    /// `limits.tenantTagKey` as bytes, computed once so `parse` never allocates.
    @usableFromInline let tenantKey: [UInt8]
    /// `limits.idTagKey` as bytes.
    @usableFromInline let idKey: [UInt8]
    /// The first (up to) eight bytes of `tenantKey` as a little-endian word, so a key of up to
    /// eight bytes is compared with one word comparison.
    @usableFromInline let tenantKeyWord: UInt64
    /// The first (up to) eight bytes of `idKey` as a little-endian word.
    @usableFromInline let idKeyWord: UInt64

    public init(limits: ProtocolLimits) {
        self.limits = limits
        tenantKey = Array(limits.tenantTagKey.utf8)
        idKey = Array(limits.idTagKey.utf8)
        tenantKeyWord = LineParser.prefixWord(tenantKey)
        idKeyWord = LineParser.prefixWord(idKey)
    }

    static func prefixWord(_ bytes: [UInt8]) -> UInt64 {
        var word: UInt64 = 0
        for (offset, byte) in bytes.prefix(8).enumerated() { word |= UInt64(byte) << UInt64(offset * 8) }
        return word
    }

    /// A `ParsedLine` with room for `limits.maxDimensions` dimensions: pass it to every
    /// `parse` call so the dimensions array never grows.
    public func makeParsedLine() -> ParsedLine {
        ParsedLine(maxDimensions: limits.maxDimensions)
    }

    /// Parses `line` (without its terminator). Returns nil and fills `parsed`, whose ranges
    /// are offsets into `line`, when the line is accepted; otherwise returns why it was
    /// refused and leaves `parsed` holding unspecified (but in-bounds) ranges.
    ///
    /// `now` is the arrival time in Unix seconds: the event time when the line has no `|T`,
    /// and the reference for the lateness and future bounds.
    ///
    /// `parsed` should come from `makeParsedLine()` (or `ParsedLine(maxDimensions:)` with at
    /// least `limits.maxDimensions`) and not be shared, so that resetting and appending to its
    /// dimensions never allocates.
    @inlinable
    public func parse(_ line: UnsafeRawBufferPointer, now: Int64, into parsed: inout ParsedLine) -> RefusalReason? {
        if line.count > limits.maxLineBytes { return .lineTooLong }

        parsed.metric = 0 ..< 0
        parsed.type = .counter
        parsed.value = .zero
        parsed.member = 0 ..< 0
        parsed.tenant = 0 ..< 0
        parsed.id = nil
        parsed.timestamp = now
        // Dimensions overwrite the previous line's in place (no `removeAll`, which costs a
        // `replaceSubrange` per line); whatever is left past this line's count is dropped below,
        // on acceptance and refusal alike, so no stale range survives.
        var dimensionCount = 0
        let refusal = parseLine(line, now: now, into: &parsed, dimensionCount: &dimensionCount)
        while parsed.dimensions.count > dimensionCount { parsed.dimensions.removeLast() }
        if refusal == nil { LineParser.sortDimensions(&parsed.dimensions, in: line) }
        return refusal
    }

    /// `parse` after the length check and the reset of `parsed`: the first
    /// `dimensionCount` dimensions of `parsed` are this line's.
    @inlinable @inline(__always)
    func parseLine(_ line: UnsafeRawBufferPointer, now: Int64, into parsed: inout ParsedLine,
                   dimensionCount: inout Int) -> RefusalReason? {
        let count = line.count

        // Name: everything before the first ':'.
        let (nameEnd, nameIsClean, _) = WordScan.scan(line, from: 0, to: .colon, checking: .name)
        if nameEnd == count || nameEnd == 0 { return .missingName }
        if nameEnd > limits.maxNameBytes { return .nameTooLong }
        if !nameIsClean { return .badName }
        parsed.metric = 0 ..< nameEnd

        // Value: up to the next '|'.
        let valueStart = nameEnd + 1
        let valueEnd = WordScan.scan(line, from: valueStart, to: .bar, checking: .any).end
        if valueEnd == valueStart { return .missingValue }
        if valueEnd == count { return .missingType }

        // Type: up to the next '|' or the end; only a single byte can be a supported type.
        let typeStart = valueEnd + 1
        if typeStart == count || line[typeStart] == LineParser.bar { return .missingType }
        var index = typeStart + 1
        if index < count && line[index] != LineParser.bar { return .unsupportedType }
        switch line[typeStart] {
        case UInt8(ascii: "c"): parsed.type = .counter
        case UInt8(ascii: "g"): parsed.type = .gauge
        case UInt8(ascii: "s"): parsed.type = .set
        default: return .unsupportedType
        }

        if let refusal = parseValue(line, valueStart ..< valueEnd, into: &parsed) { return refusal }

        // Fields: `index` is at a '|' or at the end.
        var sawTenant = false
        var sawTimestamp = false
        while index < count {
            let fieldStart = index + 1
            if fieldStart < count && line[fieldStart] == UInt8(ascii: "#") {
                // The tag section is most of a line: parse it in the same pass that finds its end.
                index = fieldStart + 1
                if let refusal = parseTags(line, at: &index, sawTenant: &sawTenant, into: &parsed,
                                           dimensionCount: &dimensionCount) {
                    return refusal
                }
                continue
            }
            let fieldEnd = WordScan.scan(line, from: fieldStart, to: .bar, checking: .any).end
            if fieldEnd == fieldStart { return .unknownField }
            switch line[fieldStart] {
            case UInt8(ascii: "T"):
                if sawTimestamp { return .badTimestamp }
                sawTimestamp = true
                if let refusal = parseTimestamp(line, fieldStart + 1 ..< fieldEnd, now: now, into: &parsed) {
                    return refusal
                }
            case UInt8(ascii: "@"):
                return .sampleRate
            default:
                if !LineParser.isIgnoredExtension(line, fieldStart ..< fieldEnd) { return .unknownField }
            }
            index = fieldEnd
        }
        if !sawTenant { return .missingTenant }
        return nil
    }

    // MARK: - Value

    @inlinable
    func parseValue(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, into parsed: inout ParsedLine) -> RefusalReason? {
        if parsed.type == .set {
            if range.count > limits.maxMemberBytes { return .memberTooLong }
            if !WordScan.isClean(line, range, .noControl) { return .badValue }
            parsed.member = range
            return nil
        }
        if let value = LineParser.simpleDecimal(line, range) {
            if parsed.type == .counter && value.units < 0 { return .negativeCounter }
            parsed.value = value
            return nil
        }
        switch Quantity.parse(UnsafeRawBufferPointer(rebasing: line[range])) {
        case .success(let value):
            if parsed.type == .counter && value.units < 0 { return .negativeCounter }
            parsed.value = value
            return nil
        case .failure(.malformed): return .badValue
        case .failure(.tooPrecise): return .valueTooPrecise
        case .failure(.outOfRange): return .valueOutOfRange
        }
    }

    /// The common shape of a value, parsed fast: at most 12 bytes, an optional `-`, then digits
    /// with at most one `.` and at most `Quantity.scale` digits after it, and at least one
    /// digit. Such a value always fits, and `Quantity.parse` gives exactly this result for it.
    /// Returns nil for anything else, which the caller hands to `Quantity.parse` (so every
    /// refusal, and every rarer accepted shape, keeps its one definition there).
    @inlinable @inline(always)
    static func simpleDecimal(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> Quantity? {
        var index = range.lowerBound
        let end = range.upperBound
        // 12 bytes hold at most 12 digits: the magnitude is below 10^12 and the units below 10^18.
        if end &- index > 12 { return nil }
        let negative = index < end && line[index] == UInt8(ascii: "-")
        if negative { index &+= 1 }
        let digitsStart = index
        var magnitude: UInt64 = 0
        var dot = -1
        while index < end {
            let byte = line[index]
            let digit = byte &- UInt8(ascii: "0")
            if digit > 9 {
                if byte != UInt8(ascii: ".") || dot >= 0 { return nil }
                dot = index
            } else {
                magnitude = magnitude &* 10 &+ UInt64(digit)
            }
            index &+= 1
        }
        let fractionDigits = dot < 0 ? 0 : end &- dot &- 1
        let digitCount = end &- digitsStart &- (dot < 0 ? 0 : 1)
        if digitCount == 0 || fractionDigits > Quantity.scale { return nil }
        let scaleFactor: UInt64
        switch Quantity.scale &- fractionDigits {
        case 0: scaleFactor = 1
        case 1: scaleFactor = 10
        case 2: scaleFactor = 100
        case 3: scaleFactor = 1_000
        case 4: scaleFactor = 10_000
        case 5: scaleFactor = 100_000
        case 6: scaleFactor = 1_000_000
        default: return nil
        }
        let units = Int64(truncatingIfNeeded: magnitude &* scaleFactor)
        return Quantity(units: negative ? 0 &- units : units)
    }

    // MARK: - Tags

    /// Parses one `#` section starting at `index` (after the `#`) up to the next `|` or the end
    /// of the line, merging into `parsed`; leaves `index` at that `|` (or the line's end).
    ///
    /// Each tag costs two word scans: one finds the key's end, the other the value's end while
    /// checking the value's byte class, which the key decides (tenant ids are names, other
    /// values must not hold control bytes).
    @inlinable @inline(__always)
    func parseTags(_ line: UnsafeRawBufferPointer, at index: inout Int, sawTenant: inout Bool,
                   into parsed: inout ParsedLine, dimensionCount: inout Int) -> RefusalReason? {
        let count = line.count
        var tagStart = index
        while true {
            // Key: up to ':' (or a ',' / '|' / end, which make the tag malformed).
            let (keyEnd, _, keyWord) = WordScan.scan(line, from: tagStart, to: .colonCommaOrBar, checking: .any)
            // Empty tag, no ':' or empty key.
            if keyEnd == tagStart || keyEnd == count || line[keyEnd] != LineParser.colon { return .badTag }
            let key = tagStart ..< keyEnd
            // Value: up to ',' or '|' or the end; values may contain ':'.
            let valueStart = keyEnd + 1
            let valueEnd: Int
            if LineParser.keyEquals(line, key, keyWord, tenantKey, tenantKeyWord) {
                let (end, isName, _) = WordScan.scan(line, from: valueStart, to: .commaOrBar, checking: .name)
                valueEnd = end
                let value = valueStart ..< end
                if value.isEmpty || value.count > limits.maxTenantBytes || !isName { return .badTenant }
                if sawTenant { return .duplicateTag }
                sawTenant = true
                parsed.tenant = value
            } else {
                let (end, hasNoControl, _) = WordScan.scan(line, from: valueStart, to: .commaOrBar, checking: .noControl)
                valueEnd = end
                let value = valueStart ..< end
                if LineParser.keyEquals(line, key, keyWord, idKey, idKeyWord) {
                    if value.isEmpty || value.count > limits.maxIDBytes || !hasNoControl { return .badIdempotencyKey }
                    if parsed.id != nil { return .duplicateTag }
                    parsed.id = value
                } else {
                    if key.count > limits.maxTagBytes { return .tagTooLong }
                    let keyIsTagKey = key.count <= 8
                        ? WordScan.outside(keyWord, .tagKey) & WordScan.lowBytes(key.count) == 0
                        : WordScan.isClean(line, key, .tagKey)
                    if !keyIsTagKey { return .badTag }
                    if value.isEmpty { return .badTag }
                    if value.count > limits.maxTagBytes { return .tagTooLong }
                    if !hasNoControl { return .badTag }
                    var other = 0
                    while other < dimensionCount {
                        if LineParser.equals(line, parsed.dimensions[other].key, key) { return .duplicateTag }
                        other += 1
                    }
                    // Checked before appending, so the reserved capacity is never exceeded.
                    if dimensionCount >= limits.maxDimensions { return .tooManyTags }
                    let dimension = ParsedLine.Dimension(key: key, value: value)
                    if dimensionCount < parsed.dimensions.count {
                        parsed.dimensions[dimensionCount] = dimension
                    } else {
                        parsed.dimensions.append(dimension)
                    }
                    dimensionCount += 1
                }
            }
            if valueEnd == count || line[valueEnd] == LineParser.bar {
                index = valueEnd
                return nil
            }
            // Skip the ','; a trailing comma leaves an empty tag, refused above.
            tagStart = valueEnd + 1
        }
    }

    /// Whether the key `line[key]`, whose first (up to) eight bytes are the low bytes of
    /// `keyWord`, equals `bytes`, whose first eight bytes are `bytesWord`. `key` is not empty.
    @inlinable @inline(__always)
    static func keyEquals(_ line: UnsafeRawBufferPointer, _ key: Range<Int>, _ keyWord: UInt64,
                          _ bytes: [UInt8], _ bytesWord: UInt64) -> Bool {
        let length = key.count
        if length != bytes.count { return false }
        if length <= 8 { return keyWord & WordScan.lowBytes(length) == bytesWord }
        return equals(line, key, bytes)
    }

    // MARK: - Timestamp

    /// Parses `T<digits>` (`range` excludes the `T`) and checks it against the bounds.
    @inlinable
    func parseTimestamp(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, now: Int64,
                        into parsed: inout ParsedLine) -> RefusalReason? {
        if range.isEmpty || range.count > LineParser.maxTimestampDigits { return .badTimestamp }
        var seconds: Int64 = 0
        for position in range {
            let digit = line[position] &- UInt8(ascii: "0")
            if digit > 9 { return .badTimestamp }
            // At most 18 digits: cannot overflow Int64.
            seconds = seconds &* 10 &+ Int64(digit)
        }
        let (oldest, belowMin) = now.subtractingReportingOverflow(limits.maxLatenessSeconds)
        let (newest, aboveMax) = now.addingReportingOverflow(limits.maxFutureSeconds)
        // Saturate: an overflowing bound means "no bound on that side".
        let lower = belowMin ? (limits.maxLatenessSeconds > 0 ? Int64.min : Int64.max) : oldest
        let upper = aboveMax ? (limits.maxFutureSeconds > 0 ? Int64.max : Int64.min) : newest
        if seconds < lower { return .tooLate }
        if seconds > upper { return .tooFarInFuture }
        parsed.timestamp = seconds
        return nil
    }

    // MARK: - Bytes

    @inlinable static var colon: UInt8 { UInt8(ascii: ":") }
    @inlinable static var bar: UInt8 { UInt8(ascii: "|") }
    @inlinable static var maxTimestampDigits: Int { 18 }

    /// Whether `line[range]` equals `bytes`.
    @inlinable
    static func equals(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, _ bytes: [UInt8]) -> Bool {
        if range.count != bytes.count { return false }
        var offset = 0
        for position in range {
            if line[position] != bytes[offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether two ranges of `line` hold the same bytes.
    @inlinable
    static func equals(_ line: UnsafeRawBufferPointer, _ first: Range<Int>, _ second: Range<Int>) -> Bool {
        if first.count != second.count { return false }
        var offset = 0
        while offset < first.count {
            if line[first.lowerBound + offset] != line[second.lowerBound + offset] { return false }
            offset += 1
        }
        return true
    }

    /// Lexicographic byte order of two ranges of `line` (a proper prefix sorts first).
    @inlinable
    static func precedes(_ line: UnsafeRawBufferPointer, _ first: Range<Int>, _ second: Range<Int>) -> Bool {
        let shared = Swift.min(first.count, second.count)
        var offset = 0
        while offset < shared {
            let a = line[first.lowerBound + offset]
            let b = line[second.lowerBound + offset]
            if a != b { return a < b }
            offset += 1
        }
        return first.count < second.count
    }

    /// Insertion sort by key bytes: at most `maxDimensions` (32) entries, in place.
    @inlinable
    static func sortDimensions(_ dimensions: inout [ParsedLine.Dimension], in line: UnsafeRawBufferPointer) {
        if dimensions.count < 2 { return }
        // One uniqueness check for the whole sort rather than one per element write.
        dimensions.withUnsafeMutableBufferPointer { dimensions in
            var next = 1
            while next < dimensions.count {
                let current = dimensions[next]
                var slot = next
                while slot > 0 && precedes(line, current.key, dimensions[slot - 1].key) {
                    dimensions[slot] = dimensions[slot - 1]
                    slot -= 1
                }
                dimensions[slot] = current
                next += 1
            }
        }
    }

    /// `c:<container>`, `e:<external data>`, `card:<cardinality>`: DogStatsD fields that
    /// clients add on their own; accepted and ignored.
    @inlinable
    static func isIgnoredExtension(_ line: UnsafeRawBufferPointer, _ field: Range<Int>) -> Bool {
        let start = field.lowerBound
        let length = field.count
        if length >= 2 && line[start + 1] == colon {
            let letter = line[start]
            return letter == UInt8(ascii: "c") || letter == UInt8(ascii: "e")
        }
        return length >= 5 && line[start] == UInt8(ascii: "c") && line[start + 1] == UInt8(ascii: "a")
            && line[start + 2] == UInt8(ascii: "r") && line[start + 3] == UInt8(ascii: "d")
            && line[start + 4] == colon
    }
}
