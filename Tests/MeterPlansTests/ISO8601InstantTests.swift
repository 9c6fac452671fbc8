import Testing
import MeterPlans

/// `CivilTime(iso8601:)`: the instants meterctl's subscription commands take.
@Suite struct ISO8601InstantTests {
    @Test func parsesFullInstantsAndBareDatesInUTC() {
        #expect(CivilTime(iso8601: "2026-03-10T00:00:00Z")?.unixSeconds == 1_773_100_800)
        #expect(CivilTime(iso8601: "2026-03-10")?.unixSeconds == 1_773_100_800)
        #expect(CivilTime(iso8601: "2026-01-31T09:30:15Z")?.unixSeconds
            == CivilTime(year: 2026, month: 1, day: 31, secondOfDay: 9 * 3600 + 30 * 60 + 15).unixSeconds)
        #expect(CivilTime(iso8601: "2024-02-29")?.description == "2024-02-29T00:00:00Z")
        #expect(CivilTime(iso8601: "1970-01-01T00:00:00Z")?.unixSeconds == 0)
        // Round trip through the printed form.
        for seconds in stride(from: Int64(0), to: 4_000_000_000, by: 86_400 * 91 + 3_661) {
            let printed = CivilTime(unixSeconds: seconds).description
            #expect(CivilTime(iso8601: printed)?.unixSeconds == seconds, "\(printed)")
        }
    }

    @Test func refusesOtherFormsAndOutOfRangeFields() {
        for text in ["", "2026-3-10", "2026-03-10T00:00:00", "2026-03-10T00:00:00+00:00", "2026-03-10T00:00:00.5Z",
                     "2026-03-10 00:00:00Z", "2026-13-01", "2026-00-10", "2026-02-29", "2024-02-30", "2026-04-31",
                     "2026-03-10T24:00:00Z", "2026-03-10T23:60:00Z", "2026-03-10T23:59:60Z", "20260310", "2026-03-1a",
                     "+026-03-10", "2026-03-10t00:00:00z", "1773100800"] {
            #expect(CivilTime(iso8601: text) == nil, "\(text)")
        }
    }
}
