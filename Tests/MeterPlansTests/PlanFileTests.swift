import Foundation
import MeterCore
import Testing
import MeterPlans

@Suite struct PlanFileTests {
    static var shippedPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/plans.yaml").path
    }

    @Test func shippedCatalogHoldsTheBriefsPlans() throws {
        let catalog = try PlanFile.load(path: Self.shippedPath)
        #expect(catalog.ids == ["enterprise", "professional", "starter"])
        #expect(catalog.currency == "USD")
        let starter = try #require(catalog["starter"])
        #expect(starter.pricing == .list(monthly: Money("299")!, annual: Money("2990")!))
        #expect(starter.metrics["ai_interactions"] == MetricTerms(included: .limited(Quantity("1000")!), overagePrice: Money("0.05")))
        #expect(starter.metrics["providers"] == MetricTerms(included: .limited(Quantity("5")!)))
        #expect(starter.features.isEmpty)
        let professional = try #require(catalog["professional"])
        #expect(professional.features == ["ambient_scribe", "coding_agent"])
        #expect(professional.metrics["fhir_api_calls"]?.included == .limited(Quantity("50000")!))
        let enterprise = try #require(catalog["enterprise"])
        #expect(enterprise.pricing == .contract)
        #expect(enterprise.metrics["patients"]?.included == .unlimited)
    }

    func problems(_ yaml: String) -> [String] {
        do {
            _ = try PlanFile.parse(yaml, path: "p.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func problemsNameTheLineAndTheReason() {
        let yaml = """
            plans:
              starter:
                monthly_price: 29.9999999
                annual_price: 10
                included:
                  ai_interactions: lots
                overage:
                  sms_messages: 0.02
                colour: blue
            """
        #expect(problems(yaml) == [
            "plans file p.yaml, line 9: plan 'starter': unknown key 'colour' (known: annual_price, features, included, monthly_price, name, overage, pricing)",
            "plans file p.yaml, line 3: plan 'starter': monthly_price must be a non-negative decimal with at most 6 fractional digits, got '29.9999999'",
            "plans file p.yaml, line 6: plan 'starter': included.ai_interactions must be a non-negative decimal (at most 6 fractional digits) or 'unlimited', got 'lots'",
            "plans file p.yaml, line 8: plan 'starter': overage.sms_messages has no included quantity (add it under 'included', 0 for pay-per-use)",
        ])
    }

    @Test func contractPlansTakeNoPricesAndUnlimitedTakesNoOverage() {
        let yaml = """
            plans:
              big:
                pricing: contract
                monthly_price: 1
                included:
                  patients: unlimited
              small:
                monthly_price: 1
                annual_price: 10
                included:
                  patients: unlimited
                overage:
                  patients: 1
            """
        #expect(problems(yaml) == [
            "plans file p.yaml, line 4: plan 'big': monthly_price cannot be set with 'pricing: contract' (the contract sets prices)",
            "plans file p.yaml, line 13: plan 'small': overage.patients is set but the metric is unlimited",
        ])
    }

    @Test func namesAndShapesAreChecked() {
        #expect(problems("plans:\n  Starter:\n    pricing: contract\n") == ["plans file p.yaml, line 2: plan id 'Starter' must be lower-case letters, digits, '_' or '-'"])
        #expect(problems("plans:\n  a:\n    pricing: contract\n    included:\n      'ai interactions': 1\n")
            == ["plans file p.yaml, line 5: plan 'a': metric name 'ai interactions' may not contain spaces or any of : | @ , # ="])
        #expect(problems("plans:\n  a:\n    pricing: contract\n    features: scribe\n")
            == ["plans file p.yaml, line 4: plan 'a': features must be a list, e.g. [ambient_scribe, coding_agent]"])
        #expect(problems("plans:\n  a:\n    annual_price: 1\n") == ["plans file p.yaml, line 3: plan 'a': monthly_price is missing (or set 'pricing: contract')"])
        #expect(problems("currency: usd\nplans: {}\n") == ["plans file p.yaml, line 1: currency 'usd' must be an ISO 4217 code such as USD",
                                                         "plans file p.yaml, line 2: 'plans' defines no plan"])
        #expect(problems("") == ["plans file p.yaml: is empty: it must define 'plans'"])
        #expect(problems("plans: [\n").first?.hasPrefix("plans file p.yaml: is not valid YAML") == true)
    }

    @Test func missingFileIsAProblemNotACrash() {
        #expect(throws: PlanFileError.self) { try PlanFile.load(path: "/nonexistent/plans.yaml") }
    }
}
