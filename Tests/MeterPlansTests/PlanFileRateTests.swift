import MeterCore
import MeterPlans
import Testing

/// The plans file's overage rate models (docs/plans.md "Overage rates"): each model read, and
/// each problem reported with its line.
@Suite struct PlanFileRateTests {
    func quantity(_ text: String) -> Quantity { Quantity(text)! }
    func money(_ text: String) -> Money { Money(text)! }

    func problems(_ yaml: String) -> [String] {
        do {
            _ = try PlanFile.parse(yaml, path: "p.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    /// A plan whose `overage:` is `overage` (indented by 6), with every metric it names included.
    func plan(_ overage: String) -> String {
        """
        plans:
          p:
            pricing: list
            monthly_price: 1
            annual_price: 10
            included: {ai_interactions: 1000, sms_messages: 500, telehealth_minutes: 100, fhir_api_calls: 10000}
            overage:
        \(overage)
        """
    }

    @Test func everyModelIsRead() throws {
        let catalog = try PlanFile.parse(plan("""
                  ai_interactions: 0.05
                  sms_messages:
                    tiered:
                      - {up_to: 1000, unit_price: 0.02}
                      - {up_to: 5000, unit_price: 0.015}
                      - {unit_price: 0.01}
                  telehealth_minutes:
                    volume:
                      - up_to: 100
                        unit_price: 0.25
                      - unit_price: 0.2
                  fhir_api_calls:
                    package: {size: 1000, price: 1}
            """), path: "p.yaml")
        let metrics = try #require(catalog["p"]).metrics
        #expect(metrics["ai_interactions"]?.overage == .perUnit(money("0.05")))
        #expect(metrics["sms_messages"] == MetricTerms(included: .limited(quantity("500")), overage: .tiered([
            RateTier(upTo: quantity("1000"), unitPrice: money("0.02")),
            RateTier(upTo: quantity("5000"), unitPrice: money("0.015")),
            RateTier(upTo: nil, unitPrice: money("0.01")),
        ])))
        #expect(metrics["telehealth_minutes"]?.overage == .volume([
            RateTier(upTo: quantity("100"), unitPrice: money("0.25")),
            RateTier(upTo: nil, unitPrice: money("0.2")),
        ]))
        #expect(metrics["fhir_api_calls"]?.overage == .package(size: quantity("1000"), price: money("1")))
        #expect(metrics["fhir_api_calls"]?.billsOverage == true)
        // A single unbounded tier is a valid (if plain) list.
        let single = try PlanFile.parse(plan("      sms_messages: {volume: [{unit_price: 0.3}]}"), path: "p.yaml")
        #expect(single["p"]?.metrics["sms_messages"]?.overage == .volume([RateTier(upTo: nil, unitPrice: money("0.3"))]))
    }

    @Test func modelChoiceProblemsNameTheirLine() {
        #expect(problems(plan("""
                  sms_messages:
                    graduated: [{unit_price: 0.01}]
                  ai_interactions:
                    tiered: [{unit_price: 0.01}]
                    volume: [{unit_price: 0.01}]
                  telehealth_minutes: {}
                  fhir_api_calls: [0.01]
            """)) == [
            "plans file p.yaml, line 9: plan 'p': overage.sms_messages: unknown key 'graduated' (known: package, tiered, volume)",
            "plans file p.yaml, line 12: plan 'p': overage.ai_interactions gives more than one rate model (tiered, volume): keep one",
            "plans file p.yaml, line 13: plan 'p': overage.telehealth_minutes must name a rate model: one of package, tiered, volume",
            "plans file p.yaml, line 14: plan 'p': overage.fhir_api_calls must be a price per unit or a mapping with one of package, tiered, volume",
        ])
    }

    @Test func tierProblemsNameTheTiersLine() {
        #expect(problems(plan("""
                  sms_messages:
                    tiered:
                      - {up_to: 5000, unit_price: 0.02}
                      - {up_to: 1000, unit_price: 0.015}
                      - {unit_price: 0.01}
                  ai_interactions:
                    volume:
                      - {up_to: 100, unit_price: 0.25}
                      - {up_to: 200, unit_price: 0.2}
                  telehealth_minutes:
                    tiered:
                      - {unit_price: 0.25}
                      - {unit_price: 0.2}
                  fhir_api_calls:
                    volume: []
            """)) == [
            "plans file p.yaml, line 11: plan 'p': overage.sms_messages.tiered needs 'up_to' bounds above 0 and strictly ascending, got 1000 after 5000",
            "plans file p.yaml, line 16: plan 'p': overage.ai_interactions.volume needs a last tier without 'up_to' (it prices every unit beyond the others)",
            "plans file p.yaml, line 19: plan 'p': overage.telehealth_minutes.tiered has a tier without 'up_to' before the last one",
            "plans file p.yaml, line 22: plan 'p': overage.fhir_api_calls.volume needs at least one tier",
        ])
    }

    @Test func tierValuesAreChecked() {
        #expect(problems(plan("""
                  sms_messages:
                    tiered:
                      - {up_to: 0, unit_price: 0.02}
                      - {up_to: 2000, unit_price: -0.015}
                      - {up_to: 3000}
                      - {unit_price: 0.01, discount: 5}
                  ai_interactions:
                    volume: {up_to: 100, unit_price: 0.25}
            """)) == [
            "plans file p.yaml, line 10: plan 'p': overage.sms_messages.tiered tier 1: up_to must be a positive decimal (overage units, at most 6 fractional digits), got '0'",
            "plans file p.yaml, line 11: plan 'p': overage.sms_messages.tiered tier 2: unit_price must be a non-negative decimal price (at most 6 fractional digits), got '-0.015'",
            "plans file p.yaml, line 12: plan 'p': overage.sms_messages.tiered tier 3: unit_price is missing",
            "plans file p.yaml, line 13: plan 'p': overage.sms_messages.tiered tier 4: unknown key 'discount' (known: unit_price, up_to)",
            "plans file p.yaml, line 15: plan 'p': overage.ai_interactions.volume must be a list of tiers, e.g. [{up_to: 1000, unit_price: 0.02}, {unit_price: 0.01}]",
        ])
    }

    @Test func tiersPerMetricAreLimited() {
        let bounded = (1...OverageRate.maxTiers).map { "{up_to: \($0), unit_price: 0.01}" }
        let atLimit = (bounded.dropLast() + ["{unit_price: 0.01}"]).joined(separator: ", ")
        #expect(problems(plan("      sms_messages: {tiered: [\(atLimit)]}")) == [])
        let overLimit = (bounded + ["{unit_price: 0.01}"]).joined(separator: ", ")
        #expect(problems(plan("      sms_messages: {tiered: [\(overLimit)]}")) == [
            "plans file p.yaml, line 8: plan 'p': overage.sms_messages.tiered has 33 tiers, at most 32",
        ])
    }

    @Test func packageValuesAreChecked() {
        #expect(problems(plan("""
                  sms_messages:
                    package: {size: 0, price: 1}
                  ai_interactions:
                    package: {price: -1, count: 3}
                  fhir_api_calls:
                    package: 1000
            """)) == [
            "plans file p.yaml, line 9: plan 'p': overage.sms_messages.package: size must be a positive decimal (units per package, at most 6 fractional digits), got '0'",
            "plans file p.yaml, line 11: plan 'p': overage.ai_interactions.package: unknown key 'count' (known: price, size)",
            "plans file p.yaml, line 11: plan 'p': overage.ai_interactions.package: size is missing",
            "plans file p.yaml, line 11: plan 'p': overage.ai_interactions.package: price must be a non-negative decimal price (at most 6 fractional digits), got '-1'",
            "plans file p.yaml, line 13: plan 'p': overage.fhir_api_calls.package must be a mapping (key: value)",
        ])
    }

    /// The per-unit checks hold for every model: a limited `included`, no contract pricing.
    @Test func ratesNeedALimitedIncludedAndListPricing() {
        let yaml = """
            plans:
              big:
                pricing: contract
                included: {sms_messages: 100}
                overage:
                  sms_messages: {package: {size: 10, price: 1}}
              small:
                monthly_price: 1
                annual_price: 10
                included: {patients: unlimited}
                overage:
                  patients: {volume: [{unit_price: 1}]}
                  providers: {tiered: [{up_to: 5, unit_price: 2}, {unit_price: 1}]}
            """
        #expect(problems(yaml) == [
            "plans file p.yaml, line 5: plan 'big': overage cannot be set with 'pricing: contract' (the contract sets prices)",
            "plans file p.yaml, line 12: plan 'small': overage.patients is set but the metric is unlimited",
            "plans file p.yaml, line 13: plan 'small': overage.providers has no included quantity (add it under 'included', 0 for pay-per-use)",
        ])
    }
}
