import MeterCore
import Testing

@Suite struct QuantityParsingTests {
    func parse(_ text: String) -> Result<Quantity, QuantityParseError> {
        var text = text
        return text.withUTF8 { Quantity.parse(UnsafeRawBufferPointer($0)) }
    }

    @Test(arguments: [
        ("0", 0), ("1", 1_000_000), ("-1", -1_000_000), ("1.5", 1_500_000), (".25", 250_000),
        ("3.", 3_000_000), ("0.000001", 1), ("-0.000001", -1), ("1.500000000", 1_500_000),
        ("9223372036854.775807", Int64.max), ("-9223372036854.775808", Int64.min),
        ("00012.3400", 12_340_000),
    ] as [(String, Int64)])
    func acceptsPlainDecimals(text: String, units: Int64) {
        #expect(parse(text) == .success(Quantity(units: units)))
    }

    @Test(arguments: ["", "-", ".", "-.", "1e5", "+1", "1.2.3", " 1", "1 ", "0x10", "NaN", "1,5", "--1"])
    func refusesMalformed(text: String) {
        #expect(parse(text) == .failure(.malformed))
    }

    @Test(arguments: ["0.0000001", "1.0000005", "-2.1234567"])
    func refusesExtraPrecision(text: String) {
        #expect(parse(text) == .failure(.tooPrecise))
    }

    @Test(arguments: ["9223372036854.775808", "-9223372036854.775809", "99999999999999999999", "10000000000000"])
    func refusesOutOfRange(text: String) {
        #expect(parse(text) == .failure(.outOfRange))
    }

    @Test func formatsExactly() {
        #expect(Quantity(units: 1_500_000).description == "1.5")
        #expect(Quantity(units: -1).description == "-0.000001")
        #expect(Quantity(units: 42_000_000).description == "42")
        #expect(Quantity.min.description == "-9223372036854.775808")
        #expect(QuantitySum(units: Int128(Int64.max) * 4).description == "36893488147419.103228")
    }

    @Test func roundTripsSeededRandomValues() {
        var generator = SeededGenerator(seed: 0x5eed)
        for _ in 0..<10_000 {
            let units = Int64(bitPattern: generator.next())
            #expect(parse(Quantity(units: units).description) == .success(Quantity(units: units)))
        }
    }

    @Test func sumsReportOverflow() {
        var sum = QuantitySum(units: .max)
        let overflowed = !sum.add(Quantity(units: 1))
        #expect(overflowed)
        #expect(sum.units == .max)
        let added = sum.add(Quantity(units: -1))
        #expect(added)
    }
}
