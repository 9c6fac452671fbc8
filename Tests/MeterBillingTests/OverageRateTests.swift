import MeterCore
import MeterPlans
import Testing

/// Hand-computed charges of each overage rate model, at and around tier edges.
@Suite struct OverageRateTests {
    func quantity(_ text: String) -> Quantity { Quantity(text)! }
    func money(_ text: String) -> Money { Money(text)! }
    /// Tiers: the first 1000 overage units at 0.02, the next 4000 at 0.015, the rest at 0.01.
    var tiers: [RateTier] {
        [RateTier(upTo: quantity("1000"), unitPrice: money("0.02")),
         RateTier(upTo: quantity("5000"), unitPrice: money("0.015")),
         RateTier(upTo: nil, unitPrice: money("0.01"))]
    }

    @Test func perUnitIsQuantityTimesPrice() {
        let rate = OverageRate.perUnit(money("0.05"))
        #expect(rate.charge(for: quantity("250")).rounded(decimals: 2) == money("12.5"))
        #expect(rate.charge(for: quantity("0.5")).rounded(decimals: 2) == money("0.03"))  // 0.025 rounds away from zero
        #expect(rate.charge(for: .zero) == .zero)
    }

    @Test func tieredPricesEachTierItsOwnUnits() {
        let rate = OverageRate.tiered(tiers)
        #expect(rate.charge(for: quantity("1000")).rounded(decimals: 2) == money("20"))
        // 1000 x 0.02 + 1 x 0.015
        #expect(rate.charge(for: quantity("1001")).rounded(decimals: 6) == money("20.015"))
        // 1000 x 0.02 + 4000 x 0.015 + 2500 x 0.01 = 20 + 60 + 25
        #expect(rate.charge(for: quantity("7500")).rounded(decimals: 2) == money("105"))
        #expect(rate.charge(for: quantity("5000")).rounded(decimals: 2) == money("80"))
    }

    @Test func volumePricesAllUnitsAtTheTierTheTotalFallsIn() {
        let rate = OverageRate.volume(tiers)
        #expect(rate.charge(for: quantity("1000")).rounded(decimals: 2) == money("20"))  // 1000 x 0.02
        #expect(rate.charge(for: quantity("1001")).rounded(decimals: 2) == money("15.02"))  // 1001 x 0.015 = 15.015
        #expect(rate.charge(for: quantity("5001")).rounded(decimals: 2) == money("50.01"))  // 5001 x 0.01
    }

    @Test func packageChargesEveryStartedPackage() {
        let rate = OverageRate.package(size: quantity("1000"), price: money("1.5"))
        #expect(rate.charge(for: quantity("1")).rounded(decimals: 2) == money("1.5"))
        #expect(rate.charge(for: quantity("1000")).rounded(decimals: 2) == money("1.5"))
        #expect(rate.charge(for: quantity("1000.000001")).rounded(decimals: 2) == money("3"))
        #expect(rate.firstUnitPrice == nil)
    }

    @Test func tierListsAreChecked() {
        #expect(OverageRate.tierProblem(tiers) == nil)
        #expect(OverageRate.tierProblem([]) != nil)
        #expect(OverageRate.tierProblem([RateTier(upTo: quantity("10"), unitPrice: .zero)]) != nil)
        #expect(OverageRate.tierProblem([RateTier(upTo: quantity("10"), unitPrice: .zero), RateTier(upTo: quantity("10"), unitPrice: .zero),
                                         RateTier(upTo: nil, unitPrice: .zero)]) != nil)
    }

    @Test func roundingIsHalfAwayFromZeroBothWays() {
        #expect(ExactCharge(picos: 5_000_000_000).rounded(decimals: 2) == Money(micros: 10_000))  // 0.005 -> 0.01
        #expect(ExactCharge(picos: -5_000_000_000).rounded(decimals: 2) == Money(micros: -10_000))
        #expect(ExactCharge(picos: 4_999_999_999).rounded(decimals: 2) == Money(micros: 0))
        #expect(ExactCharge(picos: 1_500_000_000_000).rounded(decimals: 0) == Money(micros: 2_000_000))
    }
}
