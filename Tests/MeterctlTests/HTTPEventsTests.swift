import MeterCore
import MeterctlKit
import Testing

/// `meterctl send --http`: a line's JSON event, read back by meterd, is the same line.
@Suite struct HTTPEventsTests {
    static let now: Int64 = 1_769_855_400

    static func json(_ line: String) throws -> String {
        let parser = LineParser(limits: ProtocolLimits())
        var parsed = parser.makeParsedLine()
        let bytes = Array(line.utf8)
        #expect(bytes.withUnsafeBytes { parser.parse($0, now: now, into: &parsed) } == nil)
        return HTTPEvents.event(bytes, parsed, now: now)
    }

    @Test func linesBecomeJSONEvents() throws {
        #expect(try Self.json("llm.tokens:12.50|c|#tenant:acme,model:gpt,id:r-1|T1769855000")
                == #"{"tenant":"acme","metric":"llm.tokens","type":"c","value":"12.5","id":"r-1","time":1769855000,"tags":{"model":"gpt"}}"#)
        #expect(try Self.json(#"seats:u "1"|s|#tenant:a"#) == #"{"tenant":"a","metric":"seats","type":"s","member":"u \"1\""}"#)
        #expect(try Self.json("gb:-0.5|g|#tenant:a") == #"{"tenant":"a","metric":"gb","type":"g","value":"-0.5"}"#)
    }

    @Test func urlsGiveHostAndPort() throws {
        let plain = try HTTPEvents.hostPort("http://127.0.0.1:9125")
        #expect(plain.host == "127.0.0.1" && plain.port == 9125)
        let withPath = try HTTPEvents.hostPort("localhost:9125/v1/events")
        #expect(withPath.host == "localhost" && withPath.port == 9125)
        #expect(throws: SocketError.self) { try HTTPEvents.hostPort("https://127.0.0.1:9125") }
    }
}
