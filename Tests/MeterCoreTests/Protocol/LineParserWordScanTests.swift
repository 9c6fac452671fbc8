@testable import MeterCore
import Testing

/// The word-at-a-time pieces of `LineParser`: byte classes, delimiter scans near the end of a
/// line, the fast path for plain decimals, and reuse of one `ParsedLine` across lines.
@Suite struct LineParserWordScanTests {
    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
    static func isTagKey(_ byte: UInt8) -> Bool { ReferenceParser.isNameByte(byte) || byte == UInt8(ascii: "/") }

    /// Every byte value, at every position of a word, surrounded by bytes in the class and by
    /// bytes outside it: `outside` marks exactly the bytes outside the class.
    @Test func byteClassesMatchTheScalarDefinitions() {
        let classes: [(WordScan.ByteClass, (UInt8) -> Bool)] = [
            (.name, ReferenceParser.isNameByte), (.tagKey, Self.isTagKey), (.noControl, { !Self.isControl($0) }), (.any, { _ in true }),
        ]
        for (byteClass, isInside) in classes {
            for filler: UInt8 in [UInt8(ascii: "a"), 0x00, 0x2F, 0x7F, 0x80, 0xFF] {
                for position in 0 ..< 8 {
                    for byte in UInt8.min ... UInt8.max {
                        var bytes = [UInt8](repeating: filler, count: 8)
                        bytes[position] = byte
                        let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
                        let marks = WordScan.outside(word, byteClass)
                        for (offset, value) in bytes.enumerated() {
                            let marked = (marks >> UInt64(offset * 8)) & 0xFF
                            if marked != (isInside(value) ? 0 : 0x80) {
                                Issue.record("class \(byteClass): byte \(value) at \(offset) among \(filler)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scans over every start and every stop position of lines of 0 to 24 bytes, with and
    /// without a class violation, against a byte-by-byte scan. The buffer continues past the
    /// line with delimiters and bad bytes, which must never be seen.
    @Test func scansStopAtTheFirstDelimiterAndNeverLookPastTheLine() {
        let after: [UInt8] = Array(":,|\u{0}\u{7F}".utf8) + [0xFF]
        for length in 0 ... 24 {
            for stop in [-1] + Array(0 ..< length) {
                for bad in [-1] + Array(0 ..< length) where bad != stop {
                    var bytes = [UInt8](repeating: UInt8(ascii: "k"), count: length) + after
                    if stop >= 0 { bytes[stop] = UInt8(ascii: ",") }
                    if bad >= 0 { bytes[bad] = 0x01 }
                    bytes.withUnsafeBytes { buffer in
                        let line = UnsafeRawBufferPointer(rebasing: buffer[0 ..< length])
                        for start in 0 ... length {
                            let result = WordScan.scan(line, from: start, to: .commaOrBar, checking: .noControl)
                            let end = (start ..< length).first { bytes[$0] == UInt8(ascii: ",") } ?? length
                            let first = (0 ..< Swift.min(8, length - start)).reduce(UInt64(0)) {
                                $0 | UInt64(bytes[start + $1]) << UInt64($1 * 8)
                            }
                            let clean = WordScan.isClean(line, start ..< length, .noControl)
                            if result.end != end || result.clean != !(start ..< end).contains(bad) || result.first != first
                                || clean != !(start ..< length).contains(bad) {
                                Issue.record("length \(length), stop \(stop), bad \(bad), start \(start): \(result)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// A line parsed in place inside a larger buffer gives the same verdict as the reference,
    /// whatever follows it in the buffer: the parser never reads past the line's end.
    @Test func bytesAfterTheLineAreNeverRead() {
        let parser = LineParser(limits: ProtocolLimits())
        let lines = LineParserFuzzTests.validLines + ["x:1|c|#tenant:a", "ab:1|s|#tenant:abcdefgh", "x:1|c|#tenant:a,k:v", "m:1.5|g|#tenant:t,id:x"]
        let trailers = [",tenant:b", "|T1", ",k:v", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}", ":::::::", "|||||||", "é\u{7F}\u{1}"]
        for line in lines {
            let bytes = Array(line.utf8)
            for end in 0 ... bytes.count {
                for trailer in trailers {
                    let buffer = Array(bytes[..<end]) + Array(trailer.utf8)
                    var parsed = parser.makeParsedLine()
                    let refusal = buffer.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0 ..< end]), now: testNow, into: &parsed) }
                    let alone = Array(bytes[..<end])
                    switch ReferenceParser.parse(alone, limits: parser.limits, now: testNow) {
                    case .accepted(let expected):
                        #expect(refusal == nil, "\(alone) followed by \(trailer)")
                        if refusal == nil { #expect(DecodedLine(parsed, in: alone) == expected) }
                    case .refused(let reason):
                        #expect(refusal == reason, "\(alone) followed by \(trailer)")
                    }
                }
            }
        }
    }

    /// Values of every shape up to six bytes over `-.09x`, and the fast path's bounds (12
    /// bytes, six fractional digits, the range edges), for every type: same verdict as the
    /// reference, which calls `Quantity.parse` directly.
    @Test func decimalFastPathAgreesWithQuantityParse() {
        let parser = LineParser(limits: ProtocolLimits())
        var values: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 1 ... 6 {
            frontier = frontier.flatMap { prefix in Array("-.09x".utf8).map { prefix + [$0] } }
            values += frontier
        }
        values += ["123456789012", "1234567890123", "-123456789012", "999999.999999", "99999.9999999", "999999999999",
                   "12345.6789012", "1.0000000", "1.0000001", "0.000001", "0.0000001", ".5", "5.", "-.5", "-0", "-0.0",
                   "9223372036854.775807", "9223372036854.775808", "-9223372036854.775808", "-9223372036854.775809",
                   "000000000001", "0000000000001", "+1", "1e3", "1..2", "--1"].map { Array($0.utf8) }
        for value in values {
            for type in ["c", "g", "s"] {
                let line = Array("m:".utf8) + value + Array("|\(type)|#tenant:a".utf8)
                LineParserFuzzTests.check(line, parser: parser)
            }
        }
    }

    /// One `ParsedLine` reused across lines with more, fewer and no dimensions, accepted and
    /// refused: each accepted line holds exactly its own dimensions, and ranges stay inside
    /// the current line even after a refusal.
    @Test func reusedParsedLineHoldsOnlyTheCurrentLine() {
        let parser = LineParser(limits: ProtocolLimits())
        var parsed = parser.makeParsedLine()
        let lines = ["x:1|c|#tenant:a,c:1,b:2,a:3", "x:1|c|#tenant:a", "x:1|c|#tenant:a,k:v", "x:1|c|#z:1,y:2,tenant:a,w:3",
                     "x:1|c|#z:1,y:2,x:", "x:1|c|#a:1,b:2", "x:1|c|#q:1,r:2,s:3,tenant:a", "x:1|c|#p:1,p:2,tenant:a",
                     "x:1|c|#a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,tenant:a", "x:1|c|#tenant:a,b:1|#a:1"]
        for _ in 0 ..< 3 {
            for line in lines {
                let bytes = Array(line.utf8)
                let refusal = bytes.withUnsafeBytes { parser.parse($0, now: testNow, into: &parsed) }
                let outcome = ParseOutcome(refusal: refusal, parsed: parsed, bytes: bytes)
                #expect(outcome.rangesInBounds, "\(line)")
                switch ReferenceParser.parse(bytes, limits: parser.limits, now: testNow) {
                case .accepted(let expected):
                    #expect(refusal == nil, "\(line)")
                    if refusal == nil { #expect(outcome.decoded == expected, "\(line)") }
                case .refused(let reason):
                    #expect(refusal == reason, "\(line)")
                }
            }
        }
        #expect(parsed.dimensions.capacity >= parser.limits.maxDimensions)
    }
}
