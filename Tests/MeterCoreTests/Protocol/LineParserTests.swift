import MeterCore
import Testing

@Suite struct LineParserAcceptanceTests {
    @Test func acceptsMinimalCounter() {
        let outcome = parse("api.calls:1|c|#tenant:acme")
        #expect(outcome.refusal == nil)
        #expect(outcome.parsed.metric == 0 ..< 9)
        #expect(outcome.text(outcome.parsed.metric) == "api.calls")
        #expect(outcome.parsed.type == .counter)
        #expect(outcome.parsed.value == Quantity(units: 1_000_000))
        #expect(outcome.parsed.member == 0 ..< 0)
        #expect(outcome.parsed.tenant == 22 ..< 26)
        #expect(outcome.text(outcome.parsed.tenant) == "acme")
        #expect(outcome.parsed.id == nil)
        #expect(outcome.parsed.timestamp == testNow)
        #expect(outcome.parsed.dimensions.isEmpty)
    }

    @Test func acceptsCounterWithIDDimensionsAndTimestamp() {
        let line = "llm.tokens_in:1234.5|c|#tenant:acme,id:req-42:a,model:gpt-4o,channel:web|T1699999990"
        let outcome = parse(line)
        #expect(outcome.refusal == nil)
        #expect(outcome.text(outcome.parsed.metric) == "llm.tokens_in")
        #expect(outcome.parsed.type == .counter)
        #expect(outcome.parsed.value == Quantity(units: 1_234_500_000))
        #expect(outcome.text(outcome.parsed.tenant) == "acme")
        // The id value keeps everything after the first ':'.
        #expect(outcome.parsed.id.map(outcome.text) == "req-42:a")
        #expect(outcome.parsed.timestamp == 1_699_999_990)
        #expect(outcome.dimensionPairs == ["channel:web", "model:gpt-4o"])
        // Exact offsets: "model" starts after "...,id:req-42:a," and "web" ends before "|T".
        let bytes = Array(line.utf8)
        let modelKey = outcome.parsed.dimensions[1].key
        #expect(Array(bytes[modelKey]) == Array("model".utf8))
        #expect(modelKey.lowerBound == Array("llm.tokens_in:1234.5|c|#tenant:acme,id:req-42:a,".utf8).count)
        #expect(outcome.parsed.dimensions[0].value.upperBound == bytes.count - "|T1699999990".utf8.count)
    }

    @Test func acceptsNegativeGaugeWithTenantNotFirst() {
        let outcome = parse("storage.gb:-12.000001|g|#region:eu-west-1,tenant:t_1.x-y")
        #expect(outcome.refusal == nil)
        #expect(outcome.parsed.type == .gauge)
        #expect(outcome.parsed.value == Quantity(units: -12_000_001))
        #expect(outcome.parsed.member.isEmpty)
        #expect(outcome.text(outcome.parsed.tenant) == "t_1.x-y")
        #expect(outcome.dimensionPairs == ["region:eu-west-1"])
    }

    @Test func acceptsSetMember() {
        let outcome = parse("active.providers:prov:1234 #5|s|#tenant:acme,id:e1")
        #expect(outcome.refusal == nil)
        #expect(outcome.parsed.type == .set)
        #expect(outcome.parsed.value == .zero)
        #expect(outcome.parsed.member == 17 ..< 29)
        #expect(outcome.text(outcome.parsed.member) == "prov:1234 #5")
        #expect(outcome.parsed.id.map(outcome.text) == "e1")
    }

    @Test func acceptsValueForms() {
        #expect(parse("x:-0|c|#tenant:a").parsed.value == .zero)
        #expect(parse("x:.5|c|#tenant:a").parsed.value == Quantity(units: 500_000))
        #expect(parse("x:3.|g|#tenant:a").parsed.value == Quantity(units: 3_000_000))
        #expect(parse("x:0.000001|c|#tenant:a").parsed.value == Quantity(units: 1))
        #expect(parse("x:9223372036854.775807|c|#tenant:a").parsed.value == .max)
        #expect(parse("x:-9223372036854.775808|g|#tenant:a").parsed.value == .min)
    }

    @Test func ignoresDogStatsDExtensionFields() {
        let outcome = parse("sms.sent:2|c|c:abc123|#tenant:acme|e:it-false,cn-foo|card:high|c:|T1700000000")
        #expect(outcome.refusal == nil)
        #expect(outcome.parsed.value == Quantity(units: 2_000_000))
        #expect(outcome.text(outcome.parsed.tenant) == "acme")
        #expect(outcome.parsed.timestamp == 1_700_000_000)
        #expect(outcome.parsed.dimensions.isEmpty)
    }

    @Test func mergesSecondTagSection() {
        let outcome = parse("x:1|c|#env:prod,zone:b|T1700000001|#tenant:acme,id:9,app:web")
        #expect(outcome.refusal == nil)
        #expect(outcome.text(outcome.parsed.tenant) == "acme")
        #expect(outcome.parsed.id.map(outcome.text) == "9")
        #expect(outcome.dimensionPairs == ["app:web", "env:prod", "zone:b"])
        #expect(outcome.parsed.timestamp == 1_700_000_001)
    }

    @Test func dimensionValuesMayHoldColonsAndUTF8AndKeysSlashes() {
        let outcome = parse("x:1|c|#tenant:a,url:https://x.test/y?q=1,city:Zürich,k8s/pod:api-7")
        #expect(outcome.refusal == nil)
        #expect(outcome.dimensionPairs == ["city:Zürich", "k8s/pod:api-7", "url:https://x.test/y?q=1"])
    }

    @Test func sortsDimensionsByKeyBytes() {
        let outcome = parse("x:1|c|#b:1,tenant:t,ab:2,a/b:3,B:4,a:5,a.:6")
        #expect(outcome.refusal == nil)
        // Byte order: 'B' (0x42) < 'a'; "a" < "a." < "a/b" < "ab" ('.' 0x2E < '/' 0x2F < 'b').
        #expect(outcome.dimensionPairs == ["B:4", "a:5", "a.:6", "a/b:3", "ab:2", "b:1"])
    }

    @Test func equalTagSetsInAnyOrderGiveEqualDimensions() {
        let first = parse("x:1|c|#tenant:t,model:m,channel:c,region:r")
        let second = parse("x:1|c|#region:r,channel:c|#model:m,tenant:t")
        #expect(first.refusal == nil && second.refusal == nil)
        #expect(first.dimensionPairs == second.dimensionPairs)
    }

    @Test func acceptsCRLFLineThroughTheSplitter() {
        var buffer = Array("x:1|c|#tenant:acme\r\ny:2|g|#tenant:acme,id:7\r\n".utf8)
        var outcomes: [ParseOutcome] = []
        buffer.withUnsafeMutableBytes { raw in
            LineSplitter.forEachLine(in: UnsafeRawBufferPointer(raw)) { line in
                outcomes.append(parse(Array(line), parser: LineParser(limits: ProtocolLimits())))
            }
        }
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { $0.accepted })
        #expect(outcomes.map { $0.text($0.parsed.tenant) } == ["acme", "acme"])
        #expect(outcomes[1].parsed.id.map(outcomes[1].text) == "7")
    }

    @Test func acceptsEveryLimitExactly() {
        // Every part at its default limit does not fit in a default-length line: widen only that.
        var limits = ProtocolLimits()
        limits.maxLineBytes = 4096
        let name = String(repeating: "n", count: limits.maxNameBytes)
        let tenant = String(repeating: "t", count: limits.maxTenantBytes)
        let id = String(repeating: "i", count: limits.maxIDBytes)
        let member = String(repeating: "m", count: limits.maxMemberBytes)
        let key = String(repeating: "k", count: limits.maxTagBytes - 1)
        let value = String(repeating: "v", count: limits.maxTagBytes)
        let dims = (0 ..< limits.maxDimensions).map { "\(key)\($0):\(value)" }.joined(separator: ",")
        let line = "\(name):\(member)|s|#tenant:\(tenant),id:\(id),\(dims)"
        #expect(line.utf8.count <= limits.maxLineBytes)
        let outcome = parse(line, limits: limits)
        #expect(outcome.refusal == nil)
        #expect(outcome.parsed.dimensions.count == limits.maxDimensions)
        #expect(outcome.parsed.member.count == limits.maxMemberBytes)

        // A line of exactly maxLineBytes is accepted.
        limits = ProtocolLimits()
        let prefix = "x:1|c|#tenant:a|c:"
        let exact = prefix + String(repeating: "p", count: limits.maxLineBytes - prefix.utf8.count)
        #expect(exact.utf8.count == limits.maxLineBytes)
        #expect(parse(exact, limits: limits).refusal == nil)
    }

    @Test func acceptsTimestampsAtTheBounds() {
        let limits = ProtocolLimits()
        let oldest = testNow - limits.maxLatenessSeconds
        let newest = testNow + limits.maxFutureSeconds
        #expect(parse("x:1|c|#tenant:a|T\(oldest)").parsed.timestamp == oldest)
        #expect(parse("x:1|c|#tenant:a|T\(newest)").parsed.timestamp == newest)
        #expect(parse("x:1|c|#tenant:a|T000\(testNow)").parsed.timestamp == testNow)
        // Bounds that overflow Int64 saturate instead of wrapping (or trapping).
        var lenient = ProtocolLimits()
        lenient.maxLatenessSeconds = .max
        lenient.maxFutureSeconds = .max
        #expect(parse("x:1|c|#tenant:a|T0", limits: lenient).refusal == nil)
        #expect(parse("x:1|c|#tenant:a|T0", limits: lenient, now: -2).refusal == nil)
        #expect(parse("x:1|c|#tenant:a|T999999999999999999", limits: lenient, now: .max).refusal == nil)
        #expect(parse("x:1|c|#tenant:a|T5", limits: lenient, now: .min).refusal == .tooFarInFuture)
    }

    @Test func usesConfiguredTenantAndIDKeys() {
        var limits = ProtocolLimits()
        limits.tenantTagKey = "org"
        limits.idTagKey = "event_id"
        let outcome = parse("x:1|c|#tenant:a,org:acme,event_id:e-1,id:plain", limits: limits)
        #expect(outcome.refusal == nil)
        #expect(outcome.text(outcome.parsed.tenant) == "acme")
        #expect(outcome.parsed.id.map(outcome.text) == "e-1")
        #expect(outcome.dimensionPairs == ["id:plain", "tenant:a"])
        #expect(parse("x:1|c|#tenant:a", limits: limits).refusal == .missingTenant)
    }

    @Test func reusesTheDimensionsBufferWithoutGrowing() {
        let parser = LineParser(limits: ProtocolLimits())
        var parsed = parser.makeParsedLine()
        let capacity = parsed.dimensions.capacity
        let address = parsed.dimensions.withUnsafeBufferPointer { $0.baseAddress }
        let lines = [
            "x:1|c|#tenant:a,a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8",
            "x:1|c|#tenant:a,a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9",
            "x:1|c|#h:8,g:7,f:6,e:5,d:4,c:3,b:2,a:1,tenant:a",
            "garbage", "x:1|c|#a:1,a:2", "",
        ]
        for _ in 0 ..< 100 {
            for line in lines {
                var bytes = Array(line.utf8)
                _ = bytes.withUnsafeMutableBytes { parser.parse(UnsafeRawBufferPointer($0), now: testNow, into: &parsed) }
                #expect(parsed.dimensions.capacity == capacity)
                #expect(parsed.dimensions.withUnsafeBufferPointer { $0.baseAddress } == address)
            }
        }
    }

    @Test func parsesFromABufferSliceWithZeroBasedRanges() {
        // A line cut out of a larger buffer: ranges are offsets into the line itself.
        let buffer = Array("junk\nx:5|c|#tenant:acme,m:v\nmore".utf8)
        buffer.withUnsafeBytes { raw in
            let line = UnsafeRawBufferPointer(rebasing: raw[5 ..< 27])
            let parser = LineParser(limits: ProtocolLimits())
            var parsed = parser.makeParsedLine()
            #expect(parser.parse(line, now: testNow, into: &parsed) == nil)
            #expect(parsed.metric == 0 ..< 1)
            #expect(parsed.tenant == 14 ..< 18)
            #expect(parsed.dimensions == [ParsedLine.Dimension(key: 19 ..< 20, value: 21 ..< 22)])
        }
    }
}

/// One refused line and the reason the parser must give.
struct RefusalExample: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var reason: RefusalReason
    var limits = ProtocolLimits()

    init(_ text: String, _ reason: RefusalReason, limits: ProtocolLimits = ProtocolLimits()) {
        bytes = Array(text.utf8)
        self.reason = reason
        self.limits = limits
    }

    init(bytes: [UInt8], _ reason: RefusalReason) {
        self.bytes = bytes
        self.reason = reason
    }

    var testDescription: String {
        let shown = bytes.count > 60 ? Array(bytes.prefix(40)) : bytes
        let text = String(decoding: shown, as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "\(reason.label): \(text)\(bytes.count > 60 ? "... (\(bytes.count) bytes)" : "")"
    }
}

private func repeated(_ text: String, _ count: Int) -> String { String(repeating: text, count: count) }
private let defaults = ProtocolLimits()
private let nineDimensions = (1 ... 9).map { "d\($0):v" }.joined(separator: ",")
private let noDimensions: ProtocolLimits = {
    var limits = ProtocolLimits()
    limits.maxDimensions = 0
    return limits
}()

let refusalExamples: [RefusalExample] = [
    // Framing: checked before anything else.
    RefusalExample("x:1|c|#tenant:a,pad:" + repeated("p", defaults.maxLineBytes), .lineTooLong),
    RefusalExample(bytes: [UInt8](repeating: 0, count: defaults.maxLineBytes + 1), .lineTooLong),
    // Name.
    RefusalExample("", .missingName),
    RefusalExample(":1|c|#tenant:a", .missingName),
    RefusalExample("no colon at all", .missingName),
    RefusalExample("_sc|db.check|0", .missingName),
    RefusalExample(repeated("n", defaults.maxNameBytes + 1) + ":1|c|#tenant:a", .nameTooLong),
    RefusalExample(repeated("!", defaults.maxNameBytes + 1) + ":1|c|#tenant:a", .nameTooLong),
    RefusalExample("api calls:1|c|#tenant:a", .badName),
    RefusalExample("api/calls:1|c|#tenant:a", .badName),
    RefusalExample("é:1|c|#tenant:a", .badName),
    RefusalExample("calls|c|#tenant:a", .badName),
    RefusalExample("_e{5,4}:title|text|#tenant:a", .badName),
    RefusalExample("_sc|db.check|0|#tenant:a", .badName),
    RefusalExample("bad name:|x", .badName),
    // Value and type.
    RefusalExample("x:|c|#tenant:a", .missingValue),
    RefusalExample("x:", .missingValue),
    RefusalExample("x:|", .missingValue),
    RefusalExample("x:1", .missingType),
    RefusalExample("x:1|", .missingType),
    RefusalExample("x:1||#tenant:a", .missingType),
    RefusalExample("x:1|ms|#tenant:a", .unsupportedType),
    RefusalExample("x:1|h|#tenant:a", .unsupportedType),
    RefusalExample("x:1|d|#tenant:a", .unsupportedType),
    RefusalExample("x:1|x|#tenant:a", .unsupportedType),
    RefusalExample("x:1|cc|#tenant:a", .unsupportedType),
    RefusalExample("x:1|C|#tenant:a", .unsupportedType),
    RefusalExample("x:abc|ms|#tenant:a", .unsupportedType),
    RefusalExample("x:1|c #tenant:a", .unsupportedType),
    RefusalExample("x:abc|c|#tenant:a", .badValue),
    RefusalExample("x:1e5|g|#tenant:a", .badValue),
    RefusalExample("x:+1|c|#tenant:a", .badValue),
    RefusalExample("x: 1|c|#tenant:a", .badValue),
    RefusalExample("x:1,5|c|#tenant:a", .badValue),
    RefusalExample("x:a\u{01}b|s|#tenant:a", .badValue),
    RefusalExample("x:del\u{7F}|s|#tenant:a", .badValue),
    RefusalExample("x:0.0000001|c|#tenant:a", .valueTooPrecise),
    RefusalExample("x:-1.1234567|g|#tenant:a", .valueTooPrecise),
    RefusalExample("x:9223372036855|g|#tenant:a", .valueOutOfRange),
    RefusalExample("x:-9223372036854.775809|g|#tenant:a", .valueOutOfRange),
    RefusalExample("x:-1|c|#tenant:a", .negativeCounter),
    RefusalExample("x:-0.000001|c|#tenant:a", .negativeCounter),
    RefusalExample("x:" + repeated("m", defaults.maxMemberBytes + 1) + "|s|#tenant:a", .memberTooLong),
    // Fields.
    RefusalExample("x:1|c|@0.1|#tenant:a", .sampleRate),
    RefusalExample("x:1|c|#tenant:a|@1", .sampleRate),
    RefusalExample("x:1|c|@0.1|#", .sampleRate),
    RefusalExample("x:1|c|#tenant:a|", .unknownField),
    RefusalExample("x:1|c||#tenant:a", .unknownField),
    RefusalExample("x:1|c|#tenant:a|x:1", .unknownField),
    RefusalExample("x:1|c|#tenant:a|card", .unknownField),
    RefusalExample("x:1|c|#tenant:a|c", .unknownField),
    RefusalExample("x:1|c|#tenant:a|cx:1", .unknownField),
    RefusalExample("x:1|c|#tenant:a|E:1", .unknownField),
    RefusalExample("x:1|c|#tenant:a| #m:1", .unknownField),
    // Tags.
    RefusalExample("x:1|c", .missingTenant),
    RefusalExample("x:1|c|#model:a,id:abc", .missingTenant),
    RefusalExample("x:1|c|T1700000000|c:abc", .missingTenant),
    RefusalExample("x:1|c|#Tenant:a", .missingTenant),
    RefusalExample("x:1|c|#tenant:", .badTenant),
    RefusalExample("x:1|c|#tenant:a b", .badTenant),
    RefusalExample("x:1|c|#tenant:a/b", .badTenant),
    RefusalExample("x:1|c|#tenant:ü", .badTenant),
    RefusalExample("x:1|c|#tenant:a:b", .badTenant),
    RefusalExample("x:1|c|#tenant:" + repeated("t", defaults.maxTenantBytes + 1), .badTenant),
    RefusalExample("x:1|c|#tenant:a,id:", .badIdempotencyKey),
    RefusalExample("x:1|c|#tenant:a,id:a\tb", .badIdempotencyKey),
    RefusalExample("x:1|c|#tenant:a,id:" + repeated("i", defaults.maxIDBytes + 1), .badIdempotencyKey),
    RefusalExample("x:1|c|#", .badTag),
    RefusalExample("x:1|c|#tenant:a,", .badTag),
    RefusalExample("x:1|c|#,tenant:a", .badTag),
    RefusalExample("x:1|c|#tenant:a,,m:1", .badTag),
    RefusalExample("x:1|c|#tenant:a,model", .badTag),
    RefusalExample("x:1|c|#tenant:a,:v", .badTag),
    RefusalExample("x:1|c|#tenant:a,mo del:x", .badTag),
    RefusalExample("x:1|c|#tenant:a,model:", .badTag),
    RefusalExample("x:1|c|#tenant:a,model:a\u{1B}b", .badTag),
    RefusalExample("x:1|c|#tenant", .badTag),
    RefusalExample("x:1|c|#tenant:a|#", .badTag),
    RefusalExample("x:1|c|#tenant:a,model:x|#|@0.5", .badTag),
    RefusalExample("x:1|c|#tenant:a," + repeated("k", defaults.maxTagBytes + 1) + ":v", .tagTooLong),
    RefusalExample("x:1|c|#tenant:a,k:" + repeated("v", defaults.maxTagBytes + 1), .tagTooLong),
    RefusalExample("x:1|c|#tenant:a,tenant:b", .duplicateTag),
    RefusalExample("x:1|c|#tenant:a,id:1,id:2", .duplicateTag),
    RefusalExample("x:1|c|#tenant:a,m:1,m:2", .duplicateTag),
    RefusalExample("x:1|c|#tenant:a|#tenant:a", .duplicateTag),
    RefusalExample("x:1|c|#m:1|#tenant:a,m:1", .duplicateTag),
    RefusalExample("x:1|c|#tenant:a,\(nineDimensions)", .tooManyTags),
    RefusalExample("x:1|c|#tenant:a,\(nineDimensions),bad tag", .tooManyTags),
    RefusalExample("x:1|c|#tenant:a,model:m", .tooManyTags, limits: noDimensions),
    // Timestamps.
    RefusalExample("x:1|c|#tenant:a|T", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|Tabc", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T-1", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T+1", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T1.5", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T1700000000 ", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T1234567890123456789", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T1700000000|T1700000000", .badTimestamp),
    RefusalExample("x:1|c|#model:a|Tnow", .badTimestamp),
    RefusalExample("x:1|c|#tenant:a|T\(testNow - defaults.maxLatenessSeconds - 1)", .tooLate),
    RefusalExample("x:1|c|#tenant:a|T0", .tooLate),
    RefusalExample("x:1|c|#tenant:a|T\(testNow + defaults.maxFutureSeconds + 1)", .tooFarInFuture),
    RefusalExample("x:1|c|#tenant:a|T999999999999999999", .tooFarInFuture),
]

@Suite struct LineParserRefusalTests {
    @Test(arguments: refusalExamples)
    func refuses(example: RefusalExample) {
        let outcome = parse(example.bytes, parser: LineParser(limits: example.limits))
        #expect(outcome.refusal == example.reason)
        #expect(outcome.rangesInBounds)
        // The reference model agrees, so the documented rules and the parser say the same.
        guard case .refused(let modelReason) = ReferenceParser.parse(example.bytes, limits: example.limits, now: testNow) else {
            Issue.record("reference model accepted a refused line")
            return
        }
        #expect(modelReason == example.reason)
    }

    @Test func everyParserReasonHasAnExample() {
        let covered = Set(refusalExamples.map(\.reason))
        #expect(covered == parserReasons, "uncovered: \(parserReasons.subtracting(covered).map(\.label).sorted())")
        #expect(covered.isDisjoint(with: aggregatorReasons))
    }

    /// The examples in docs/line-protocol.md, so the document and the parser cannot drift apart.
    @Test func documentedExamplesBehaveAsDocumented() {
        let accepted = [
            "api.calls:1|c|#tenant:acme",
            "llm.tokens_in:1234|c|#tenant:acme,id:req-7f3a,model:gpt-4o",
            "llm.tokens_out:512|c|#tenant:acme,id:req-7f3a,model:gpt-4o",
            "sms.sent:1|c|#tenant:clinic_42,channel:whatsapp,country:NL|T1700000000",
            "telehealth.minutes:12.5|c|#tenant:clinic_42,id:visit-991",
            "storage.gb:182.375|g|#tenant:acme,tier:hot",
            "providers.active:prov-1234|s|#tenant:clinic_42",
            "fhir.calls:1|c|#tenant:acme,endpoint:/fhir/Patient|c:4f2a9e|card:low",
            "api.calls:1|c|#env:prod|#tenant:acme",
            "x:1|c|#tenant:a,model:new-model", "x:1|c|#tenant:new-tenant", "x:1|c|#tenant:a,user:u-918273",
            "seats:u-4711|s|#tenant:a", "x:9223372036854|c|#tenant:a",
        ]
        for line in accepted {
            #expect(parse(line).refusal == nil, "\(line)")
        }
        let refused: [(String, RefusalReason)] = [
            ("api.calls:1|c", .missingTenant),
            ("api.calls:-1|c|#tenant:acme", .negativeCounter),
            ("request.time:12|ms|#tenant:acme", .unsupportedType),
            ("api.calls:1|c|@0.1|#tenant:acme", .sampleRate),
            ("llm.cost:0.0000001|c|#tenant:acme", .valueTooPrecise),
            ("api.calls:1|c|#tenant:acme,model:a,model:b", .duplicateTag),
            (":1|c|#tenant:a", .missingName),
            ("api calls:1|c|#tenant:a", .badName),
            ("x:|c|#tenant:a", .missingValue),
            ("x:1e3|c|#tenant:a", .badValue),
            ("x:0.0000001|c|#tenant:a", .valueTooPrecise),
            ("x:9223372036855|g|#tenant:a", .valueOutOfRange),
            ("x:-1|c|#tenant:a", .negativeCounter),
            ("x:1", .missingType),
            ("x:1||#tenant:a", .missingType),
            ("x:1|ms|#tenant:a", .unsupportedType),
            ("x:1|c|@0.5|#tenant:a", .sampleRate),
            ("x:1|c|#model:m", .missingTenant),
            ("x:1|c|#tenant:a b", .badTenant),
            ("x:1|c|#tenant:a,id:", .badIdempotencyKey),
            ("x:1|c|#tenant:a,model", .badTag),
            ("x:1|c|#tenant:a,tenant:b", .duplicateTag),
            ("x:1|c|#tenant:a,d1:v,d2:v,d3:v,d4:v,d5:v,d6:v,d7:v,d8:v,d9:v", .tooManyTags),
            ("x:1|c|#tenant:a|T1.5", .badTimestamp),
            ("x:1|c|#tenant:a|T0", .tooLate),
            ("x:1|c|#tenant:a|T999999999999", .tooFarInFuture),
            ("x:1|c|#tenant:a|", .unknownField),
            ("x:1 |c|#tenant:a", .badValue),
            ("_e{5,4}:title|text", .badName),
            ("_sc|name|0|#tenant:a", .badName),
            ("_sc|name|0", .missingName),
        ]
        for (line, reason) in refused {
            #expect(parse(line).refusal == reason, "\(line)")
        }
    }

    @Test func labelsAreDistinctAndPrometheusSafe() {
        let labels = RefusalReason.allCases.map(\.label)
        #expect(Set(labels).count == labels.count)
        for label in labels {
            #expect(label.allSatisfy { ("a" ... "z").contains($0) || $0 == "_" }, "\(label)")
        }
    }
}
