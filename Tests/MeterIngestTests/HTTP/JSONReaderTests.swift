import MeterCore
import MeterIngest
import Testing

@Suite struct JSONReaderTests {
    static func parse(_ text: String) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBytes { try JSONReader.parse($0) }
    }

    static func failure(_ text: String) -> JSONSyntaxError? {
        do { _ = try parse(text); return nil } catch { return error as? JSONSyntaxError }
    }

    @Test func readsValuesKeepingNumberText() throws {
        let value = try Self.parse(#" {"a": [0.1, -0, 12.500, 1E+3, true, false, null], "b": "x\"\\\/\u00e9\ud83d\ude00\n"} "#)
        #expect(value == .object([
            JSONMember(key: Array("a".utf8), value: .array([
                .number(Array("0.1".utf8)), .number(Array("-0".utf8)), .number(Array("12.500".utf8)),
                .number(Array("1E+3".utf8)), .bool(true), .bool(false), .null,
            ])),
            JSONMember(key: Array("b".utf8), value: .string(Array("x\"\\/é😀\n".utf8))),
        ]))
    }

    @Test(arguments: [
        ("", 1, 1), ("[1,]", 1, 4), ("{\"a\" 1}", 1, 6), ("[01]", 1, 2), ("[1.]", 1, 4), ("[-]", 1, 3),
        ("[\"a]", 1, 2), ("[1]\n x", 2, 2), ("[tru]", 1, 2), ("{\"a\":1,}", 1, 8), ("[\"\\x\"]", 1, 4),
        ("[\"\\ud800\"]", 1, 9), ("[\"a\nb\"]", 1, 4), ("[1] [2]", 1, 5),
    ])
    func syntaxErrorsSayWhere(text: String, line: Int, column: Int) {
        let error = Self.failure(text)
        #expect(error != nil)
        #expect(error?.line == line, "\(text): \(String(describing: error))")
        #expect(error?.column == column, "\(text): \(String(describing: error))")
    }

    @Test func invalidUTF8InAStringIsAnError() {
        let bytes: [UInt8] = [UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")]
        let error = bytes.withUnsafeBytes { buffer -> JSONSyntaxError? in
            do { _ = try JSONReader.parse(buffer); return nil } catch { return error as? JSONSyntaxError }
        }
        #expect(error?.message == "invalid UTF-8 in the string")
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: JSONReader.maxDepth + 1) + String(repeating: "]", count: JSONReader.maxDepth + 1)
        #expect(Self.failure(deep)?.message.contains("nested deeper") == true)
        let fine = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        _ = try Self.parse(fine)
    }
}

@Suite struct HTTPEventDocumentTests {
    static func events(_ text: String, _ format: HTTPEventFormat, max: Int = 100)
        -> Result<[Result<JSONValue, RefusalReason>], HTTPEventDocument.Failure> {
        Array(text.utf8).withUnsafeBytes { HTTPEventDocument.events(in: $0, format: format, maxEvents: max) }
    }

    @Test func contentTypeChoosesTheFormat() {
        #expect(HTTPEventFormat(contentType: "application/x-ndjson") == .ndjson)
        #expect(HTTPEventFormat(contentType: "application/ndjson; charset=utf-8") == .ndjson)
        #expect(HTTPEventFormat(contentType: "Application/JSON;charset=UTF-8") == .jsonArray)
        #expect(HTTPEventFormat(contentType: "text/plain") == nil)
        #expect(HTTPEventFormat(contentType: "") == nil)
    }

    @Test func ndjsonLinesAreIndependentAndBlankLinesSkipped() throws {
        let result = try Self.events("{\"a\":1}\n\n  \r\n{oops\n[2]\r\n{\"b\":2}", .ndjson).get()
        #expect(result.count == 4)
        #expect(try result[0].get() == .object([JSONMember(key: Array("a".utf8), value: .number(Array("1".utf8)))]))
        #expect(result[1] == .failure(.badJSONEvent))
        #expect(try result[2].get() == .array([.number(Array("2".utf8))]))
        #expect(try result[3].get() == .object([JSONMember(key: Array("b".utf8), value: .number(Array("2".utf8)))]))
    }

    @Test func anArrayMustBeValidAsAWhole() throws {
        #expect(try Self.events(" [ {}, 1 ] ", .jsonArray).get().count == 2)
        #expect(try Self.events("[]", .jsonArray).get().isEmpty)
        guard case .failure(.syntax(let error)) = Self.events("[{}, {\"a\":}]", .jsonArray) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(error.offset == 10)
        guard case .failure(.syntax(let notArray)) = Self.events("{\"a\":1}", .jsonArray) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(notArray.message == "expected a JSON array of events")
    }

    @Test func tooManyEvents() {
        #expect(Self.events("[1,2,3]", .jsonArray, max: 2) == .failure(.tooManyEvents(limit: 2)))
        #expect(Self.events("1\n2\n3\n", .ndjson, max: 2) == .failure(.tooManyEvents(limit: 2)))
        #expect((try? Self.events("1\n2\n\n", .ndjson, max: 2).get().count) == 2)
    }
}

