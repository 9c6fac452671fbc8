import MeterCore
import MeterPlans
import Testing

/// The worked examples of docs/plans.md "Overage rates": the documented file, read by the
/// parser, charging hand-computed amounts for a period's usage at and beside each tier edge.
@Suite struct PlanRateChargeTests {
    static let documented = """
        plans:
          example:
            monthly_price: 100
            annual_price: 1000
            included:
              ai_interactions: 1000
              sms_messages: 500
              telehealth_minutes: 100
              fhir_api_calls: 10000
            overage:
              ai_interactions: 0.05
              sms_messages:
                tiered:
                  - {up_to: 1000, unit_price: 0.02}
                  - {up_to: 5000, unit_price: 0.015}
                  - {unit_price: 0.01}
              telehealth_minutes:
                volume:
                  - {up_to: 100, unit_price: 0.25}
                  - {unit_price: 0.2}
              fhir_api_calls:
                package: {size: 1000, price: 1}
        """

    /// The exact charge for a period's `usage` of `metric`: the units beyond `included` at the rate.
    func charge(_ metric: String, usage: String) throws -> String {
        let plan = try #require(try PlanFile.parse(Self.documented, path: "plans.md")["example"])
        let terms = try #require(plan.metrics[metric])
        let rate = try #require(terms.overage)
        guard case .limited(let included) = terms.included else { throw Unexpected.unlimited }
        let overage = Quantity(units: try #require(Quantity(usage)).units - included.units)
        let exact = rate.charge(for: overage)
        #expect(exact.picos % 1_000_000 == 0, "these examples need no more than 6 decimals")
        return Money(micros: Int64(exact.picos / 1_000_000)).description
    }

    enum Unexpected: Error { case unlimited }

    @Test func perUnit() throws {
        #expect(try charge("ai_interactions", usage: "1000") == "0")
        #expect(try charge("ai_interactions", usage: "1250") == "12.5")  // 250 x 0.05
        #expect(try charge("ai_interactions", usage: "1000.5") == "0.025")  // a fraction of a unit is priced exactly
    }

    @Test func tieredAtItsEdges() throws {
        #expect(try charge("sms_messages", usage: "500") == "0")
        #expect(try charge("sms_messages", usage: "1500") == "20")  // 1000 x 0.02: the first tier's last unit
        #expect(try charge("sms_messages", usage: "1501") == "20.015")  // + 1 x 0.015
        #expect(try charge("sms_messages", usage: "5500") == "80")  // 20 + 4000 x 0.015
        #expect(try charge("sms_messages", usage: "5501") == "80.01")  // + 1 x 0.01
        #expect(try charge("sms_messages", usage: "7500") == "100")  // 20 + 60 + 2000 x 0.01
    }

    @Test func volumeAtItsEdge() throws {
        #expect(try charge("telehealth_minutes", usage: "200") == "25")  // 100 x 0.25
        #expect(try charge("telehealth_minutes", usage: "201") == "20.2")  // 101 x 0.2: all units at the second tier
        #expect(try charge("telehealth_minutes", usage: "200.5") == "20.1")  // 100.5 x 0.2: past the bound by half a unit
    }

    @Test func packageAtItsEdge() throws {
        #expect(try charge("fhir_api_calls", usage: "10000") == "0")
        #expect(try charge("fhir_api_calls", usage: "10001") == "1")  // one started package
        #expect(try charge("fhir_api_calls", usage: "11000") == "1")
        #expect(try charge("fhir_api_calls", usage: "11000.000001") == "2")
    }
}
