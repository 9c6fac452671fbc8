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

    public init(limits: ProtocolLimits) {
        self.limits = limits
        tenantKey = Array(limits.tenantTagKey.utf8)
        idKey = Array(limits.idTagKey.utf8)
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
        let count = line.count
        if count > limits.maxLineBytes { return .lineTooLong }

        parsed.metric = 0 ..< 0
        parsed.type = .counter
        parsed.value = .zero
        parsed.member = 0 ..< 0
        parsed.tenant = 0 ..< 0
        parsed.id = nil
        parsed.timestamp = now
        parsed.dimensions.removeAll(keepingCapacity: true)

        // Name: everything before the first ':'.
        var index = 0
        var nameIsClean = true
        while index < count {
            let byte = line[index]
            if byte == LineParser.colon { break }
            nameIsClean = nameIsClean && LineParser.isNameByte(byte)
            index += 1
        }
        if index == count || index == 0 { return .missingName }
        if index > limits.maxNameBytes { return .nameTooLong }
        if !nameIsClean { return .badName }
        parsed.metric = 0 ..< index

        // Value: up to the next '|'.
        let valueStart = index + 1
        index = valueStart
        while index < count && line[index] != LineParser.bar { index += 1 }
        let valueEnd = index
        if valueEnd == valueStart { return .missingValue }
        if valueEnd == count { return .missingType }

        // Type: up to the next '|' or the end.
        let typeStart = valueEnd + 1
        index = typeStart
        while index < count && line[index] != LineParser.bar { index += 1 }
        let typeEnd = index
        if typeEnd == typeStart { return .missingType }
        if typeEnd - typeStart != 1 { return .unsupportedType }
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
                switch parseTags(line, from: fieldStart + 1, sawTenant: &sawTenant, into: &parsed) {
                case .success(let end): index = end
                case .failure(let refusal): return refusal.reason
                }
                continue
            }
            var fieldEnd = fieldStart
            while fieldEnd < count && line[fieldEnd] != LineParser.bar { fieldEnd += 1 }
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

        LineParser.sortDimensions(&parsed.dimensions, in: line)
        return nil
    }

    // MARK: - Value

    @inlinable
    func parseValue(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, into parsed: inout ParsedLine) -> RefusalReason? {
        if parsed.type == .set {
            if range.count > limits.maxMemberBytes { return .memberTooLong }
            if LineParser.containsControlByte(line, range) { return .badValue }
            parsed.member = range
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

    // MARK: - Tags

    /// A refusal as an error, so tag parsing can return a position or a reason.
    @usableFromInline
    struct Refusal: Error {
        @usableFromInline let reason: RefusalReason
        @inlinable init(_ reason: RefusalReason) { self.reason = reason }
    }

    /// Parses one `#` section starting at `start` (after the `#`) up to the next `|` or the end
    /// of the line, merging into `parsed`; returns the index of that `|` (or the line's end).
    ///
    /// Each byte is read once: the scan that finds a tag's `:` and `,` also accumulates, without
    /// branches, whether the key and the value stay within their allowed byte classes.
    @inlinable
    func parseTags(_ line: UnsafeRawBufferPointer, from start: Int, sawTenant: inout Bool,
                   into parsed: inout ParsedLine) -> Result<Int, Refusal> {
        let count = line.count
        var tagStart = start
        while true {
            // Key: up to ':' (or a ',' / '|' / end, which make the tag malformed).
            var index = tagStart
            var keyIsTagKey = true
            while index < count {
                let byte = line[index]
                if byte == LineParser.colon || byte == LineParser.comma || byte == LineParser.bar { break }
                keyIsTagKey = keyIsTagKey && LineParser.isTagKeyByte(byte)
                index += 1
            }
            // Empty tag, no ':' or empty key.
            if index == tagStart || index == count || line[index] != LineParser.colon { return .failure(Refusal(.badTag)) }
            let key = tagStart ..< index
            // Value: up to ',' or '|' or the end; values may contain ':'.
            index += 1
            let valueStart = index
            var valueIsName = true
            var valueHasControl = false
            while index < count {
                let byte = line[index]
                if byte == LineParser.comma || byte == LineParser.bar { break }
                valueIsName = valueIsName && LineParser.isNameByte(byte)
                valueHasControl = valueHasControl || LineParser.isControlByte(byte)
                index += 1
            }
            let value = valueStart ..< index
            if LineParser.equals(line, key, tenantKey) {
                if value.isEmpty || value.count > limits.maxTenantBytes || !valueIsName { return .failure(Refusal(.badTenant)) }
                if sawTenant { return .failure(Refusal(.duplicateTag)) }
                sawTenant = true
                parsed.tenant = value
            } else if LineParser.equals(line, key, idKey) {
                if value.isEmpty || value.count > limits.maxIDBytes || valueHasControl {
                    return .failure(Refusal(.badIdempotencyKey))
                }
                if parsed.id != nil { return .failure(Refusal(.duplicateTag)) }
                parsed.id = value
            } else {
                if key.count > limits.maxTagBytes { return .failure(Refusal(.tagTooLong)) }
                if !keyIsTagKey { return .failure(Refusal(.badTag)) }
                if value.isEmpty { return .failure(Refusal(.badTag)) }
                if value.count > limits.maxTagBytes { return .failure(Refusal(.tagTooLong)) }
                if valueHasControl { return .failure(Refusal(.badTag)) }
                for dimension in parsed.dimensions where LineParser.equals(line, dimension.key, key) {
                    return .failure(Refusal(.duplicateTag))
                }
                // Checked before appending, so the reserved capacity is never exceeded.
                if parsed.dimensions.count >= limits.maxDimensions { return .failure(Refusal(.tooManyTags)) }
                parsed.dimensions.append(ParsedLine.Dimension(key: key, value: value))
            }
            if index == count || line[index] == LineParser.bar { return .success(index) }
            // Skip the ','; a trailing comma leaves an empty tag, refused above.
            tagStart = index + 1
        }
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
    @inlinable static var comma: UInt8 { UInt8(ascii: ",") }
    @inlinable static var maxTimestampDigits: Int { 18 }

    /// Byte classes as 128-bit masks (two words: bytes 0-63 and 64-127), so a class test is a
    /// shift and a mask with no branches; bytes >= 128 are in no class.
    @inlinable static var nameMaskLow: UInt64 { (1 << 45) | (1 << 46) | (0x3FF << 48) }          // - . 0-9
    @inlinable static var nameMaskHigh: UInt64 { (0x3FF_FFFF << 1) | (1 << 31) | (0x3FF_FFFF << 33) }  // A-Z _ a-z
    @inlinable static var slashBit: UInt64 { 1 << 47 }                                           // /

    @inlinable @inline(__always)
    static func classBit(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        let word = byte & 64 == 0 ? low : high
        return byte < 128 && (word >> UInt64(byte & 63)) & 1 == 1
    }

    /// `[A-Za-z0-9_.-]`: metric names and tenant ids.
    @inlinable @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        classBit(byte, low: nameMaskLow, high: nameMaskHigh)
    }

    /// `[A-Za-z0-9_.-/]`: dimension keys.
    @inlinable @inline(__always)
    static func isTagKeyByte(_ byte: UInt8) -> Bool {
        classBit(byte, low: nameMaskLow | slashBit, high: nameMaskHigh)
    }

    /// Control bytes: below 0x20, and DEL.
    @inlinable @inline(__always)
    static func isControlByte(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F
    }

    @inlinable
    static func containsControlByte(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var found = false
        for position in range { found = found || isControlByte(line[position]) }
        return found
    }

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
