import Testing
import MeterPlans

@Suite struct BillingPeriodTests {
    func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0) -> Int64 {
        CivilTime(year: year, month: month, day: day, secondOfDay: hour * 3600).unixSeconds
    }

    @Test func civilTimeRoundTripsAndKnowsTheEpoch() {
        #expect(CivilTime(year: 1970, month: 1, day: 1).unixSeconds == 0)
        #expect(CivilTime(year: 2000, month: 3, day: 1).unixSeconds == 951_868_800)
        #expect(CivilTime(unixSeconds: 1_709_164_800).description == "2024-02-29T00:00:00Z")
        #expect(CivilTime(unixSeconds: -1).description == "1969-12-31T23:59:59Z")
        for seconds in stride(from: Int64(-86_400 * 800), to: 86_400 * 40_000, by: 86_400 * 37 + 3_601) {
            #expect(CivilTime(unixSeconds: seconds).unixSeconds == seconds)
        }
    }

    @Test func anchorOnThe31stClampsPerMonthWithoutDrifting() {
        let anchor = at(2026, 1, 31, 9)
        let starts = (0...4).map { CivilTime(unixSeconds: BillingPeriod.start(index: $0, anchor: anchor)).description }
        #expect(starts == ["2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z",
                           "2026-04-30T09:00:00Z", "2026-05-31T09:00:00Z"])
    }

    @Test func anchorOnThe29thInALeapYear() {
        let anchor = at(2024, 1, 29)
        #expect(CivilTime(unixSeconds: BillingPeriod.start(index: 1, anchor: anchor)).description == "2024-02-29T00:00:00Z")
        #expect(CivilTime(unixSeconds: BillingPeriod.start(index: 13, anchor: anchor)).description == "2025-02-28T00:00:00Z")
        let leapDay = at(2024, 2, 29)
        #expect(CivilTime(unixSeconds: BillingPeriod.start(index: 12, anchor: leapDay)).description == "2025-02-28T00:00:00Z")
        #expect(CivilTime(unixSeconds: BillingPeriod.start(index: 48, anchor: leapDay)).description == "2028-02-29T00:00:00Z")
        #expect(CivilTime(unixSeconds: BillingPeriod.start(index: 11, anchor: at(2100, 1, 30))).description == "2100-12-30T00:00:00Z")
        #expect(CivilTime(unixSeconds: BillingPeriod.start(index: 1, anchor: at(2100, 1, 30))).description == "2100-02-28T00:00:00Z")
    }

    @Test func periodContainingAnInstant() throws {
        let anchor = at(2026, 1, 31, 9)
        let inFebruary = try #require(BillingPeriod.containing(at(2026, 3, 31, 8), anchor: anchor))
        #expect(inFebruary.index == 1)
        #expect(inFebruary.start == at(2026, 2, 28, 9) && inFebruary.end == at(2026, 3, 31, 9))
        let exactlyAtStart = try #require(BillingPeriod.containing(at(2026, 3, 31, 9), anchor: anchor))
        #expect(exactlyAtStart.index == 2)
        #expect(BillingPeriod.containing(at(2026, 1, 31, 9), anchor: anchor)?.index == 0)
        #expect(BillingPeriod.containing(at(2026, 1, 31, 9) - 1, anchor: anchor) == nil)
    }

    /// Every second belongs to exactly one period: the periods tile time.
    @Test func periodsTileTimeForEveryAnchorDay() throws {
        for day in [1, 15, 28, 29, 30, 31] {
            let anchor = at(2023, 1, day, 12)
            for index in 0..<30 {
                let period = BillingPeriod.period(index: index, anchor: anchor)
                #expect(period.end > period.start)
                #expect(period.end - period.start >= 28 * 86_400 && period.end - period.start <= 31 * 86_400)
                #expect(BillingPeriod.containing(period.start, anchor: anchor) == period)
                #expect(BillingPeriod.containing(period.end - 1, anchor: anchor) == period)
            }
        }
    }
}
