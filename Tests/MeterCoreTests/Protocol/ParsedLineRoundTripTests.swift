import MeterCore
import Testing

/// A parsed line survives `EventRecord.encode` and reads back through `EventRecordView`.
@Suite struct ParsedLineRoundTripTests {
    struct Decoded: Equatable {
        var tenant: String
        var metric: String
        var type: MetricType
        var dimensions: [String]
        var id: String?
        var member: String
        var value: Quantity
        var timestamp: Int64
        var receivedAt: Int64
        var seriesKey: [UInt8]
        var seriesHash: UInt64
    }

    static let hasher = ByteHasher(seed: 0x0123_4567_89AB_CDEF)

    func roundTrip(_ text: String, receivedAt: Int64 = testNow + 2) -> Decoded? {
        let outcome = parse(text)
        guard outcome.refusal == nil else {
            Issue.record("refused \(text): \(String(describing: outcome.refusal))")
            return nil
        }
        let size = EventRecord.bodyBytes(of: outcome.parsed)
        var body = [UInt8](repeating: 0xEE, count: size)
        outcome.bytes.withUnsafeBytes { source in
            body.withUnsafeMutableBytes { target in
                EventRecord.encode(outcome.parsed, from: source, receivedAt: receivedAt, hasher: Self.hasher, into: target)
            }
        }
        return body.withUnsafeBytes { raw -> Decoded? in
            guard let view = EventRecordView(raw) else { return nil }
            func s(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
            var dimensions: [String] = []
            SeriesKey.forEachDimension(in: view.dimensions) { dimensions.append("\(s($0)):\(s($1))") }
            return Decoded(tenant: s(view.tenant), metric: s(view.metric), type: view.type, dimensions: dimensions,
                           id: view.id.map(s), member: s(view.member), value: view.value, timestamp: view.timestamp,
                           receivedAt: view.receivedAt, seriesKey: Array(view.seriesKey), seriesHash: view.seriesHash)
        }
    }

    @Test func counterWithEverything() throws {
        let decoded = try #require(roundTrip("llm.tokens_out:512.25|c|#tenant:acme,id:req-7:x,model:gpt-4o,channel:web|T1699999999"))
        #expect(decoded.tenant == "acme")
        #expect(decoded.metric == "llm.tokens_out")
        #expect(decoded.type == .counter)
        #expect(decoded.dimensions == ["channel:web", "model:gpt-4o"])
        #expect(decoded.id == "req-7:x")
        #expect(decoded.member == "")
        #expect(decoded.value == Quantity(units: 512_250_000))
        #expect(decoded.timestamp == 1_699_999_999)
        #expect(decoded.receivedAt == testNow + 2)
    }

    @Test func setMemberWithoutID() throws {
        let decoded = try #require(roundTrip("providers.active:prov-991|s|#tenant:clinic_4,region:eu"))
        #expect(decoded.type == .set)
        #expect(decoded.member == "prov-991")
        #expect(decoded.value == .zero)
        #expect(decoded.id == nil)
        #expect(decoded.timestamp == testNow)
        #expect(decoded.dimensions == ["region:eu"])
    }

    @Test func gaugeWithUTF8DimensionAndNoDimensions() throws {
        let gauge = try #require(roundTrip("storage.gb:-0.5|g|#tenant:t,city:Zürich|c:ctr"))
        #expect(gauge.value == Quantity(units: -500_000))
        #expect(gauge.dimensions == ["city:Zürich"])
        let bare = try #require(roundTrip("x:1|c|#tenant:t"))
        #expect(bare.dimensions.isEmpty)
        #expect(bare.tenant == "t" && bare.metric == "x")
    }

    @Test func tagOrderDoesNotChangeTheSeries() throws {
        let first = try #require(roundTrip("x:1|c|#tenant:t,b:2,a:1,c:3,id:one"))
        let second = try #require(roundTrip("x:5|c|#c:3|#a:1,id:two,tenant:t,b:2|T1700000001"))
        #expect(first.seriesKey == second.seriesKey)
        #expect(first.seriesHash == second.seriesHash)
        let other = try #require(roundTrip("x:1|c|#tenant:t,b:2,a:1,c:4"))
        #expect(other.seriesKey != first.seriesKey)
    }

    @Test func limitSizedPartsFitTheRecord() throws {
        let limits = ProtocolLimits()
        let key = String(repeating: "k", count: limits.maxTagBytes)
        let value = String(repeating: "v", count: limits.maxTagBytes)
        let member = String(repeating: "m", count: limits.maxMemberBytes)
        let id = String(repeating: "i", count: limits.maxIDBytes)
        let decoded = try #require(roundTrip("n:\(member)|s|#tenant:t,id:\(id),\(key):\(value)"))
        #expect(decoded.member == member)
        #expect(decoded.id == id)
        #expect(decoded.dimensions == ["\(key):\(value)"])
    }
}
