import MeterCore
import Testing

/// Inputs no sender should produce: every prefix, every single-byte mutation, random bytes and
/// randomly mutated lines. Each input must parse without trapping, with ranges inside the
/// line and the same verdict (reason, or every accepted field) as `ReferenceParser`.
@Suite struct LineParserFuzzTests {
    static let validLines = [
        "api.calls:1|c|#tenant:acme",
        "llm.tokens_in:1234.5|c|#tenant:acme,id:req-42,model:gpt-4o,channel:web|T1699999990",
        "storage.gb:-12.000001|g|#region:eu-west-1,tenant:t_1|c:abc|card:low",
        "active.providers:prov:1234|s|#tenant:acme,id:e:1|e:ext|T1700000100",
        "x:1|c|#b:1,a:2|#tenant:t,id:9",
    ]

    /// A small-limits configuration, so mutations hit every bound.
    static let tightLimits: ProtocolLimits = {
        var limits = ProtocolLimits()
        limits.maxLineBytes = 96
        limits.maxNameBytes = 12
        limits.maxTenantBytes = 4
        limits.maxIDBytes = 6
        limits.maxMemberBytes = 9
        limits.maxTagBytes = 7
        limits.maxDimensions = 2
        limits.maxLatenessSeconds = 60
        limits.maxFutureSeconds = 60
        return limits
    }()

    /// Parses `bytes` with the real parser and the reference model and compares them.
    static func check(_ bytes: [UInt8], parser: LineParser, now: Int64 = testNow) {
        let outcome = parse(bytes, parser: parser, now: now)
        let model = ReferenceParser.parse(bytes, limits: parser.limits, now: now)
        #expect(outcome.rangesInBounds, "ranges outside the line for \(bytes)")
        switch model {
        case .accepted(let expected):
            #expect(outcome.refusal == nil, "refused \(String(describing: outcome.refusal)) for \(bytes)")
            if outcome.refusal == nil {
                #expect(outcome.decoded == expected, "fields differ for \(bytes)")
                #expect(outcome.parsed.dimensions.count <= Swift.max(parser.limits.maxDimensions, 0))
            }
        case .refused(let reason):
            #expect(outcome.refusal == reason, "expected \(reason.label) for \(bytes)")
        }
    }

    @Test func everyPrefixAndSingleByteMutation() {
        let interesting: [UInt8] = Array(0 ... 255)
        for limits in [ProtocolLimits(), Self.tightLimits] {
            let parser = LineParser(limits: limits)
            for line in Self.validLines {
                let bytes = Array(line.utf8)
                for end in 0 ... bytes.count { Self.check(Array(bytes[..<end]), parser: parser) }
                for position in bytes.indices {
                    var mutated = bytes
                    for byte in interesting where byte != bytes[position] {
                        mutated[position] = byte
                        Self.check(mutated, parser: parser)
                    }
                    var deleted = bytes
                    deleted.remove(at: position)
                    Self.check(deleted, parser: parser)
                    for byte in Array(":|#,T@c".utf8) {
                        var inserted = bytes
                        inserted.insert(byte, at: position)
                        Self.check(inserted, parser: parser)
                    }
                }
            }
        }
    }

    /// Seed 0x6D65_7465_7264_0001: random byte strings biased towards protocol bytes.
    @Test("random bytes (seed 0x6D65_7465_7264_0001)")
    func randomBytes() {
        var generator = SeededGenerator(seed: 0x6D65_7465_7264_0001)
        let alphabet = Array("::||#,,T@cgs.-_/0123456789abcxyzidtenant\r\n\t\u{7F} é".utf8)
        for limits in [ProtocolLimits(), Self.tightLimits] {
            let parser = LineParser(limits: limits)
            for _ in 0 ..< 5_000 {
                let length = Int.random(in: 0 ... 120, using: &generator)
                let bytes = (0 ..< length).map { _ -> UInt8 in
                    Bool.random(using: &generator)
                        ? alphabet.randomElement(using: &generator) ?? 0
                        : UInt8.random(in: 0 ... 255, using: &generator)
                }
                Self.check(bytes, parser: parser)
            }
        }
    }

    /// Seed 0x6D65_7465_7264_0002: valid lines with one to four random edits.
    @Test("mutated valid lines (seed 0x6D65_7465_7264_0002)")
    func mutatedValidLines() {
        var generator = SeededGenerator(seed: 0x6D65_7465_7264_0002)
        let pieces = ["|", ":", ",", "#", "|#", "|T", "|T1700000000", ",tenant:b", ",id:x", ",m:1", "|@1", "|c:x",
                      "-", ".", "0", "9999999", "\r", "\u{0}", "é", "tenant", "id"].map { Array($0.utf8) }
        for limits in [ProtocolLimits(), Self.tightLimits] {
            let parser = LineParser(limits: limits)
            for _ in 0 ..< 10_000 {
                var bytes = Array((Self.validLines.randomElement(using: &generator) ?? "").utf8)
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &generator) {
                    let position = Int.random(in: 0 ... bytes.count, using: &generator)
                    switch Int.random(in: 0 ..< 5, using: &generator) {
                    case 0 where position < bytes.count:
                        bytes[position] = UInt8.random(in: 0 ... 255, using: &generator)
                    case 1 where position < bytes.count:
                        bytes.remove(at: position)
                    case 2:
                        bytes.insert(contentsOf: pieces.randomElement(using: &generator) ?? [], at: position)
                    case 3:
                        let end = Int.random(in: position ... bytes.count, using: &generator)
                        bytes.insert(contentsOf: bytes[position ..< end], at: end)
                    default:
                        bytes.removeSubrange(position ..< Swift.min(bytes.count, position + Int.random(in: 0 ... 6, using: &generator)))
                    }
                }
                Self.check(bytes, parser: parser)
            }
        }
    }

    /// Seed 0x6D65_7465_7264_0003: lines assembled from random, mostly valid parts, so that
    /// acceptance paths (tag orders, merged sections, bounds) are exercised as much as refusals.
    @Test("generated lines (seed 0x6D65_7465_7264_0003)")
    func generatedLines() {
        var generator = SeededGenerator(seed: 0x6D65_7465_7264_0003)
        func pick(_ options: [String]) -> String { options.randomElement(using: &generator) ?? "" }
        var accepted = 0
        let total = 10_000
        for index in 0 ..< total {
            let limits = index.isMultiple(of: 2) ? ProtocolLimits() : Self.tightLimits
            let parser = LineParser(limits: limits)
            // Valid choices are listed several times so most parts are valid.
            let name = pick(["x", "api.calls", "a-b_c.d", "x", "api.calls", "a-b_c.d", "llm.tokens_out", "", "bad name"])
            let type = pick(["c", "c", "c", "g", "g", "g", "s", "s", "ms", ""])
            let value = type == "s" ? pick(["p1", "prov:1", "p1", "prov:1", "m m", "", "longmember12"])
                : pick(["1", "2.5", "0.000001", "1", "-2.5", "0.0000001", "12abc", "", "-0", "9223372036854.775807"])
            var tags = ["tenant:" + pick(["acme", "t1", "a.b", "acme", "t1", "a.b", "", "x y", "toolong"])]
            if Bool.random(using: &generator) { tags.append("id:" + pick(["r1", "req:9", "r1", "req:9", "", "longid-1"])) }
            for _ in 0 ..< Int.random(in: 0 ... 3, using: &generator) {
                tags.append(pick(["model", "b", "a/b", "channel", "model", "b", "a/b", "k k"]) + ":"
                    + pick(["gpt", "x:y", "v", "gpt", "x:y", "v", ""]))
            }
            tags.shuffle(using: &generator)
            var fields: [String] = []
            var remaining = tags[...]
            while !remaining.isEmpty {
                let take = Int.random(in: 1 ... remaining.count, using: &generator)
                fields.append("#" + remaining.prefix(take).joined(separator: ","))
                remaining = remaining.dropFirst(take)
            }
            if Int.random(in: 0 ..< 3, using: &generator) == 0 {
                let offset = Int64.random(in: -80 ... 80, using: &generator)
                fields.append("T\(testNow + offset)")
            }
            if Int.random(in: 0 ..< 4, using: &generator) == 0 { fields.append(pick(["c:abc", "e:x", "card:low", "@0.5", "zz"])) }
            fields.shuffle(using: &generator)
            let line = ([name + ":" + value, type] + fields).joined(separator: "|")
            let bytes = Array(line.utf8)
            if parse(bytes, parser: parser).accepted { accepted += 1 }
            Self.check(bytes, parser: parser)
        }
        // The generator must reach the acceptance path often, or it tests little.
        #expect(accepted > total / 10)
    }

    @Test func extremeClockValuesNeverTrap() {
        let parser = LineParser(limits: ProtocolLimits())
        for now in [Int64.min, Int64.min + 1, -1, 0, Int64.max - 1, Int64.max] {
            for line in ["x:1|c|#tenant:a|T0", "x:1|c|#tenant:a|T999999999999999999", "x:1|c|#tenant:a"] {
                Self.check(Array(line.utf8), parser: parser, now: now)
            }
        }
        var odd = ProtocolLimits()
        odd.maxLatenessSeconds = .min
        odd.maxFutureSeconds = .min
        odd.maxDimensions = -1
        odd.maxLineBytes = 0
        let oddParser = LineParser(limits: odd)
        for now in [Int64.min, 0, Int64.max] {
            #expect(parse(Array("x:1|c|#tenant:a".utf8), parser: oddParser, now: now).refusal == .lineTooLong)
        }
        odd.maxLineBytes = 1024
        let second = LineParser(limits: odd)
        for now in [Int64.min, 0, Int64.max] {
            for line in ["x:1|c|#tenant:a|T0", "x:1|c|#tenant:a,m:1", "x:1|c|#tenant:a"] {
                Self.check(Array(line.utf8), parser: second, now: now)
            }
        }
    }
}
