@testable import MeterCore
import Testing

/// What a framer reported, in order.
enum FramingEvent: Equatable {
    case line([UInt8])
    case overlong
}

/// The framing rules stated plainly: split at `\n`, drop one trailing `\r`, skip empty lines,
/// report lines longer than `maxLineBytes`.
func expectedEvents(for stream: [UInt8], maxLineBytes: Int = .max) -> [FramingEvent] {
    var events: [FramingEvent] = []
    for piece in stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        var line = Array(piece)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.isEmpty { continue }
        events.append(line.count > maxLineBytes ? .overlong : .line(line))
    }
    return events
}

/// Feeds `stream` to a fresh framer in chunks of the given sizes (cycled), then finishes.
func frame(_ stream: [UInt8], maxLineBytes: Int, chunkSizes: [Int]) -> [FramingEvent] {
    var framer = StreamLineFramer(maxLineBytes: maxLineBytes)
    var events: [FramingEvent] = []
    stream.withUnsafeBytes { raw in
        var offset = 0
        var turn = 0
        while offset < raw.count {
            let size = Swift.max(1, chunkSizes[turn % chunkSizes.count])
            let end = Swift.min(raw.count, offset + size)
            framer.feed(UnsafeRawBufferPointer(rebasing: raw[offset ..< end]),
                        { events.append(.line(Array($0))) },
                        onOverlong: { events.append(.overlong) })
            // The carry never exceeds its bound.
            #expect(framer.bufferedByteCount <= maxLineBytes + 1)
            offset = end
            turn += 1
        }
    }
    framer.finish { events.append(.line(Array($0))) }
    #expect(framer.bufferedByteCount == 0 && !framer.isDiscardingOverlongLine)
    return events
}

/// A stream of many lines: mixed `\n` / `\r\n`, empty lines, a `\r` inside a line, and a final
/// unterminated line. Seeded so it is the same on every run.
func sampleStream(seed: UInt64, lines: Int, maxLength: Int) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var stream: [UInt8] = []
    for index in 0 ..< lines {
        let length = Int.random(in: 1 ... maxLength, using: &generator)
        var line = Array("m\(index):\(index)|c|#tenant:t".utf8.prefix(length))
        while line.count < length { line.append(UInt8.random(in: 0x21 ... 0x7E, using: &generator)) }
        if index % 17 == 5 { line[line.count / 2] = UInt8(ascii: "\r") }
        stream += line
        switch Int.random(in: 0 ..< 6, using: &generator) {
        case 0: stream += Array("\r\n".utf8)
        case 1: stream += Array("\n\n".utf8)
        case 2: stream += Array("\r\n\r\n\n".utf8)
        default: stream.append(UInt8(ascii: "\n"))
        }
    }
    stream += Array("final:1|c|#tenant:t".utf8)
    return stream
}

@Suite struct LineSplitterTests {
    func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        bytes.withUnsafeBytes { raw in
            LineSplitter.forEachLine(in: raw) { line in
                // Lines are slices of the buffer, not copies.
                if let base = line.baseAddress, let start = raw.baseAddress {
                    #expect(base >= start && base + line.count <= start + raw.count)
                }
                lines.append(Array(line))
            }
        }
        return lines
    }

    @Test func splitsTerminatorsAndSkipsEmptyLines() {
        let lines = split(Array("a\nb\r\n\n\r\nc\r\r\nd\re\n\r\nlast\r".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["a", "b", "c\r", "d\re", "last"])
        #expect(split([]).isEmpty)
        #expect(split(Array("\n\r\n\n\r".utf8)).isEmpty)
        #expect(split(Array("only".utf8)) == [Array("only".utf8)])
    }

    @Test func bulkBufferGivesEveryLineInOrder() {
        let stream = sampleStream(seed: 0x5EED_0001, lines: 2_000, maxLength: 90)
        let lines = split(stream)
        #expect(lines.count == 2_001)
        #expect(lines.map(FramingEvent.line) == expectedEvents(for: stream))
        #expect(lines.last == Array("final:1|c|#tenant:t".utf8))
    }

    @Test func bulkLinesParseAsExpected() {
        var buffer: [UInt8] = []
        for index in 0 ..< 500 {
            buffer += Array("calls:\(index)|c|#tenant:t\(index % 7),id:r\(index)".utf8)
            buffer += Array((index.isMultiple(of: 3) ? "\r\n" : index.isMultiple(of: 5) ? "\n\n" : "\n").utf8)
        }
        buffer += Array("calls:500|c|#tenant:t3,id:r500".utf8)
        let parser = LineParser(limits: ProtocolLimits())
        var parsed = parser.makeParsedLine()
        var values: [Int64] = []
        buffer.withUnsafeBytes { raw in
            LineSplitter.forEachLine(in: raw) { line in
                #expect(parser.parse(line, now: testNow, into: &parsed) == nil)
                values.append(parsed.value.units / Quantity.unitsPerWhole)
            }
        }
        #expect(values == Array(0 ... 500))
    }

    /// The word-at-a-time search against a plain loop, at every offset and alignment, with
    /// bytes chosen to provoke false positives in the zero-byte trick.
    @Test("newline search (seed 0x5EED_0002)")
    func newlineSearchMatchesPlainLoop() {
        var generator = SeededGenerator(seed: 0x5EED_0002)
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0B, 0x0D, 0x8A, 0x7F, 0xFF, 0x01, 0x41]
        for _ in 0 ..< 3_000 {
            let length = Int.random(in: 0 ... 40, using: &generator)
            let bytes = (0 ..< length).map { _ in
                Int.random(in: 0 ..< 4, using: &generator) == 0 ? UInt8(0x0A) : alphabet.randomElement(using: &generator) ?? 0
            }
            bytes.withUnsafeBytes { raw in
                for start in 0 ... length + 1 {
                    let expected = bytes.indices.first { $0 >= start && bytes[$0] == 0x0A }
                    #expect(ByteScan.firstIndex(of: 0x0A, in: raw, from: start) == expected)
                }
            }
        }
        #expect(ByteScan.firstIndex(of: 0x0A, in: UnsafeRawBufferPointer(start: nil, count: 0), from: 0) == nil)
    }
}

@Suite struct StreamLineFramerTests {
    @Test func everyChunkSizeDeliversTheSameLines() {
        let stream = sampleStream(seed: 0x5EED_0003, lines: 60, maxLength: 40)
        let expected = expectedEvents(for: stream)
        #expect(expected.count == 61)
        for size in 1 ... stream.count {
            let events = frame(stream, maxLineBytes: 40, chunkSizes: [size])
            #expect(events == expected, "chunk size \(size)")
        }
    }

    @Test("random chunkings (seed 0x5EED_0004)")
    func randomChunkingsDeliverTheSameLines() {
        var generator = SeededGenerator(seed: 0x5EED_0004)
        let stream = sampleStream(seed: 0x5EED_0005, lines: 400, maxLength: 120)
        let expected = expectedEvents(for: stream)
        for _ in 0 ..< 300 {
            let sizes = (0 ..< 32).map { _ in Int.random(in: 1 ... 200, using: &generator) }
            #expect(frame(stream, maxLineBytes: 120, chunkSizes: sizes) == expected, "sizes \(sizes)")
        }
    }

    @Test func overlongLinesAreReportedOnceAndTheStreamResynchronises() {
        let limit = 16
        let exact = String(repeating: "e", count: limit)
        let streamText = [
            "a:1|c",
            String(repeating: "x", count: limit + 1),  // one byte over
            exact,  // exactly at the limit
            exact + "\r",  // at the limit with \r\n
            String(repeating: "y", count: limit) + "\rz",  // over: the \r is not the last byte
            "b:2|c",
            String(repeating: "w", count: 500),  // far over, spans many chunks
            "", "",
            "c:3|c",
            String(repeating: "v", count: limit + 1),
        ].joined(separator: "\n") + "\nd:4|c\n" + String(repeating: "u", count: 40)  // unterminated, over
        let stream = Array(streamText.utf8)
        let expected = expectedEvents(for: stream, maxLineBytes: limit)
        #expect(expected.filter { $0 == .overlong }.count == 5)
        #expect(expected.contains(.line(Array(exact.utf8))))
        for size in 1 ... stream.count {
            #expect(frame(stream, maxLineBytes: limit, chunkSizes: [size]) == expected, "chunk size \(size)")
        }
        var generator = SeededGenerator(seed: 0x5EED_0006)
        for _ in 0 ..< 300 {
            let sizes = (0 ..< 16).map { _ in Int.random(in: 1 ... 40, using: &generator) }
            #expect(frame(stream, maxLineBytes: limit, chunkSizes: sizes) == expected, "sizes \(sizes)")
        }
    }

    @Test func finishDeliversTheUnterminatedLineAtTheLimitOnly() {
        for (text, expected) in [
            ("abcd", [FramingEvent.line(Array("abcd".utf8))]),
            ("abcd\r", [.line(Array("abcd".utf8))]),
            ("abcde", [.overlong]),
            ("\r", []),
            ("", []),
        ] {
            let stream = Array(text.utf8)
            for size in 1 ... Swift.max(1, stream.count) {
                #expect(frame(stream, maxLineBytes: 4, chunkSizes: [size]) == expected, "\(text) / \(size)")
            }
        }
    }

    @Test func zeroLimitReportsEveryNonEmptyLine() {
        let stream = Array("a\n\r\n\nbc\r\nd".utf8)
        #expect(frame(stream, maxLineBytes: 0, chunkSizes: [1]) == [.overlong, .overlong, .overlong])
        #expect(frame(stream, maxLineBytes: 0, chunkSizes: [100]) == [.overlong, .overlong, .overlong])
    }

    @Test func linesInsideAChunkAreNotCopied() {
        var framer = StreamLineFramer(limits: ProtocolLimits())
        let chunk = Array("x:1|c|#tenant:a\r\ny:2|c|#tenant:a\npartial".utf8)
        var count = 0
        chunk.withUnsafeBytes { raw in
            framer.feed(raw, { line in
                if let base = line.baseAddress, let start = raw.baseAddress {
                    #expect(base >= start && base + line.count <= start + raw.count)
                }
                count += 1
            }, onOverlong: { Issue.record("unexpected overlong") })
        }
        #expect(count == 2)
        #expect(framer.bufferedByteCount == "partial".utf8.count)
        var tail: [[UInt8]] = []
        framer.finish { tail.append(Array($0)) }
        #expect(tail == [Array("partial".utf8)])
        // After finish the framer starts afresh.
        framer.feed(UnsafeRawBufferPointer(start: nil, count: 0), { _ in Issue.record("no line expected") }, onOverlong: {})
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func resetDropsPartialAndDiscardState() {
        var framer = StreamLineFramer(maxLineBytes: 4)
        var events: [FramingEvent] = []
        Array("toolongline".utf8).withUnsafeBytes {
            framer.feed($0, { events.append(.line(Array($0))) }, onOverlong: { events.append(.overlong) })
        }
        #expect(framer.isDiscardingOverlongLine)
        framer.reset()
        Array("ok\n".utf8).withUnsafeBytes {
            framer.feed($0, { events.append(.line(Array($0))) }, onOverlong: { events.append(.overlong) })
        }
        #expect(events == [.overlong, .line(Array("ok".utf8))])
    }
}
