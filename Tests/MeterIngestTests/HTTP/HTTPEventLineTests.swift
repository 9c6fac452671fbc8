import MeterCore
import MeterIngest
import Testing

/// JSON events become their canonical line, and are refused with exactly the line parser's
/// reason (or a JSON-shape reason) for every rule.
@Suite struct HTTPEventLineTests {
    static let now: Int64 = 1_769_855_400
    static let limits = ProtocolLimits()
    static let converter = HTTPEventLine(limits: limits)

    static func json(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try JSONReader.parse($0) }
    }

    static func line(_ text: String) throws -> String? {
        switch converter.line(for: try json(text)) {
        case .success(let line): String(decoding: line, as: UTF8.self)
        case .failure: nil
        }
    }

    /// The event's outcome: the converter's refusal, else the parser's verdict on the line.
    static func outcome(_ text: String) throws -> RefusalReason? {
        switch converter.line(for: try json(text)) {
        case .failure(let reason): return reason
        case .success(let line):
            let parser = LineParser(limits: limits)
            var parsed = parser.makeParsedLine()
            return line.withUnsafeBytes { parser.parse($0, now: now, into: &parsed) }
        }
    }

    @Test func aFullEventBecomesItsCanonicalLine() throws {
        #expect(try Self.line(#"{"tenant":"acme","metric":"llm.tokens","type":"c","value":12.5,"id":"req-1","time":1769855000,"tags":{"model":"gpt"}}"#)
                == "llm.tokens:12.5|c|#tenant:acme,id:req-1,model:gpt|T1769855000")
        #expect(try Self.line(#"{"metric":"seats","type":"set","member":"u-1","tenant":"a"}"#) == "seats:u-1|s|#tenant:a")
        #expect(try Self.line(#"{"metric":"gb","type":"gauge","value":"-0.000001","tenant":"a"}"#) == "gb:-0.000001|g|#tenant:a")
        #expect(try Self.line(#"{"metric":"x","type":"counter","value":1,"tenant":"a","id":null}"#) == "x:1|c|#tenant:a")
    }

    @Test func numbersKeepTheirTextSoDecimalsStayExact() throws {
        #expect(try Self.line(#"{"metric":"x","type":"c","value":0.1,"tenant":"a"}"#) == "x:0.1|c|#tenant:a")
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":0.1,"tenant":"a"}"#) == nil)
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":0.000001,"tenant":"a"}"#) == nil)
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":0.0000001,"tenant":"a"}"#) == .valueTooPrecise)
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":1.500000000,"tenant":"a"}"#) == nil)
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":1e3,"tenant":"a"}"#) == .badValue)
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":-1,"tenant":"a"}"#) == .negativeCounter)
        #expect(try Self.outcome(#"{"metric":"x","type":"g","value":9223372036855,"tenant":"a"}"#) == .valueOutOfRange)
    }

    /// Each line-protocol rule, through JSON, gives the parser's reason.
    @Test(arguments: [
        (#"{"type":"c","value":1,"tenant":"a"}"#, RefusalReason.missingName),
        (#"{"metric":"","type":"c","value":1,"tenant":"a"}"#, .missingName),
        (#"{"metric":"api calls","type":"c","value":1,"tenant":"a"}"#, .badName),
        (#"{"metric":"x","type":"c","tenant":"a"}"#, .missingValue),
        (#"{"metric":"x","type":"c","value":"","tenant":"a"}"#, .missingValue),
        (#"{"metric":"x","value":1,"tenant":"a"}"#, .missingType),
        (#"{"metric":"x","type":"","value":1,"tenant":"a"}"#, .missingType),
        (#"{"metric":"x","type":"ms","value":1,"tenant":"a"}"#, .unsupportedType),
        (#"{"metric":"x","type":"histogram","value":1,"tenant":"a"}"#, .unsupportedType),
        (#"{"metric":"x","type":"c","value":"12abc","tenant":"a"}"#, .badValue),
        (#"{"metric":"x","type":"c","value":1}"#, .missingTenant),
        (#"{"metric":"x","type":"c","value":1,"tags":{"model":"m"}}"#, .missingTenant),
        (#"{"metric":"x","type":"c","value":1,"tenant":""}"#, .badTenant),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a b"}"#, .badTenant),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","id":""}"#, .badIdempotencyKey),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","tags":{"model":""}}"#, .badTag),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","tags":{"":"v"}}"#, .badTag),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","tags":{"tenant":"b"}}"#, .duplicateTag),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","tags":{"d1":"v","d2":"v","d3":"v","d4":"v","d5":"v","d6":"v","d7":"v","d8":"v","d9":"v"}}"#, .tooManyTags),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","time":1.5}"#, .badTimestamp),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","time":-5}"#, .badTimestamp),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","time":1000}"#, .tooLate),
        (#"{"metric":"x","type":"c","value":1,"tenant":"a","time":99999999999}"#, .tooFarInFuture),
        (#"{"metric":"x","type":"s","member":"a\u0001b","tenant":"a"}"#, .badValue),
    ])
    func lineRulesGiveTheParsersReason(event: String, reason: RefusalReason) throws {
        #expect(try Self.outcome(event) == reason)
    }

    @Test func lengthLimitsAreTheLineProtocolsOwn() throws {
        let long = String(repeating: "n", count: 129)
        #expect(try Self.outcome(#"{"metric":"\#(long)","type":"c","value":1,"tenant":"a"}"#) == .nameTooLong)
        #expect(try Self.outcome(#"{"metric":"s","type":"s","member":"\#(long)","tenant":"a"}"#) == .memberTooLong)
        #expect(try Self.outcome(#"{"metric":"s","type":"c","value":1,"tenant":"a","tags":{"k":"\#(long)"}}"#) == .tagTooLong)
        let huge = String(repeating: "v", count: 1100)
        #expect(try Self.outcome(#"{"metric":"s","type":"c","value":1,"tenant":"a","id":"\#(huge)"}"#) == .lineTooLong)
    }

    /// Line syntax inside a JSON string is refused by the part that holds it, never read as
    /// another event.
    @Test(arguments: [
        (#"{"metric":"a:b","type":"c","value":1,"tenant":"t"}"#, RefusalReason.badName),
        (#"{"metric":"a|c","type":"c","value":1,"tenant":"t"}"#, .badName),
        (#"{"metric":"a\nb:1|c|#tenant:evil","type":"c","value":1,"tenant":"t"}"#, .badName),
        (#"{"metric":"x","type":"c","value":"1|c|#tenant:evil","tenant":"t"}"#, .badValue),
        (#"{"metric":"x","type":"s","member":"m|#tenant:evil","tenant":"t"}"#, .badValue),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t,model:m"}"#, .badTenant),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t|T1"}"#, .badTenant),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","id":"a,tenant:evil"}"#, .badIdempotencyKey),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","id":"a|T1"}"#, .badIdempotencyKey),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","tags":{"tenant:evil,k":"v"}}"#, .badTag),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","tags":{"k":"v,tenant:evil"}}"#, .badTag),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","tags":{"k":"v|T1"}}"#, .badTag),
    ])
    func lineSyntaxInStringsIsRefused(event: String, reason: RefusalReason) throws {
        #expect(try Self.outcome(event) == reason)
    }

    @Test func colonsStayWhereTheLineProtocolAllowsThem() throws {
        #expect(try Self.outcome(#"{"metric":"x","type":"s","member":"prov:1234","tenant":"t"}"#) == nil)
        #expect(try Self.outcome(#"{"metric":"x","type":"c","value":1,"tenant":"t","id":"a:b","tags":{"url":"https://e.test/x"}}"#) == nil)
    }

    @Test(arguments: [
        (#"[1]"#, RefusalReason.badJSONEvent),
        (#""event""#, .badJSONEvent),
        (#"{"metric":"x","metric":"y","type":"c","value":1,"tenant":"t"}"#, .badJSONEvent),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","tags":{"k":"a","k":"b"}}"#, .badJSONEvent),
        (#"{"metric":7,"type":"c","value":1,"tenant":"t"}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":1,"tenant":7}"#, .badFieldType),
        (#"{"metric":"x","type":1,"value":1,"tenant":"t"}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":true,"tenant":"t"}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","id":12}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","time":"1769855000"}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","tags":["k"]}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","tags":{"k":1}}"#, .badFieldType),
        (#"{"metric":"x","type":"c","value":1,"tenant":"t","rate":0.5}"#, .unknownField),
        (#"{"metric":"x","type":"c","member":"m","tenant":"t"}"#, .unknownField),
        (#"{"metric":"x","type":"s","value":"m","tenant":"t"}"#, .unknownField),
    ])
    func jsonShapeRefusals(event: String, reason: RefusalReason) throws {
        #expect(try Self.outcome(event) == reason)
    }

    @Test func configuredTagKeysAreUsed() throws {
        var limits = ProtocolLimits()
        limits.tenantTagKey = "org"
        limits.idTagKey = "event_id"
        let converter = HTTPEventLine(limits: limits)
        let line = try converter.line(for: Self.json(#"{"metric":"x","type":"c","value":1,"tenant":"t","id":"e"}"#)).get()
        #expect(String(decoding: line, as: UTF8.self) == "x:1|c|#org:t,event_id:e")
    }
}
