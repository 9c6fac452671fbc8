import MeterCore

/// `count` copies of a byte string laid out `stride` bytes apart in one allocation, so each item
/// of a benchmark iteration reads its own bytes: the compiler cannot fold identical work across
/// items, and nothing allocates while measuring. Fixtures live for the whole process.
final class ByteSlots {
    let count: Int
    let stride: Int
    let length: Int
    let base: UnsafeMutableRawPointer

    init(count: Int, stride: Int, length: Int) {
        precondition(count > 0 && length >= 0 && stride >= length)
        self.count = count
        self.stride = stride
        self.length = length
        base = .allocate(byteCount: Swift.max(count * stride, 1), alignment: 16)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: count * stride)
    }

    /// Every slot holds `bytes`.
    convenience init(repeating bytes: [UInt8], count: Int, stride: Int? = nil) {
        self.init(count: count, stride: stride ?? bytes.count, length: bytes.count)
        for index in 0..<count {
            bytes.withUnsafeBytes { self[mutable: index].copyMemory(from: $0) }
        }
    }

    subscript(index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + index * stride, count: length)
    }

    subscript(mutable index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + index * stride, count: length)
    }

    /// The whole allocation, to hand to `blackHole` once per iteration.
    var all: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count * stride) }
}

/// Fixtures are the same on every run.
typealias SeededGenerator = SplitMix64

/// A realistic accepted line, built by hand the way the parser will fill a `ParsedLine`:
/// ranges into the bytes it arrived in, dimensions sorted by key, tenant and id split out.
struct SampleLine {
    static let text = "ai.tokens:1234|c|#tenant:acme-health,id:req-8f2a,model:gpt-x,channel:api"
    /// 2025-11-13T02:13:20Z: an event time and an arrival time a second later.
    static let eventTime: Int64 = 1_763_000_000

    /// The line's bytes; the allocation is never freed (fixtures live for the process).
    let source: UnsafeRawBufferPointer
    let line: ParsedLine

    init() {
        let bytes = Array(SampleLine.text.utf8)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        storage.copyBytes(from: bytes)
        source = UnsafeRawBufferPointer(storage)

        /// The range of `needle`, which must occur exactly once in the line.
        func range(of needle: String) -> Range<Int> {
            let needle = Array(needle.utf8)
            let starts = (0...(bytes.count - needle.count)).filter { bytes[$0 ..< $0 + needle.count].elementsEqual(needle) }
            precondition(starts.count == 1, "sample line fixture: '\(needle)' must occur exactly once")
            return starts[0] ..< starts[0] + needle.count
        }
        /// The value range of the tag `key:value`.
        func tagValue(_ key: String, _ value: String) -> Range<Int> {
            let tag = range(of: "\(key):\(value)")
            return tag.lowerBound + key.utf8.count + 1 ..< tag.upperBound
        }
        func dimension(_ key: String, _ value: String) -> ParsedLine.Dimension {
            let tag = range(of: "\(key):\(value)")
            let keyEnd = tag.lowerBound + key.utf8.count
            return ParsedLine.Dimension(key: tag.lowerBound ..< keyEnd, value: keyEnd + 1 ..< tag.upperBound)
        }

        var line = ParsedLine(maxDimensions: ProtocolLimits().maxDimensions)
        line.metric = range(of: "ai.tokens")
        line.type = .counter
        line.value = Quantity(whole: 1234)!
        line.tenant = tagValue("tenant", "acme-health")
        line.id = tagValue("id", "req-8f2a")
        line.timestamp = SampleLine.eventTime
        // Sorted by key bytes, as the parser leaves them: "channel" < "model".
        line.dimensions.append(dimension("channel", "api"))
        line.dimensions.append(dimension("model", "gpt-x"))
        self.line = line
    }

    /// Bytes of the encoded record body (100 for the sample line).
    var bodyBytes: Int { EventRecord.bodyBytes(of: line) }
}
