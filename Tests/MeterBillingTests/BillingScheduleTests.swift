@testable import MeterBilling
import MeterCore
import MeterPlans
import Testing

/// Which period is billed next, how a window is split into rollup reads, and the stored forms
/// of sources and tax rates.
@Suite struct BillingScheduleTests {
    static func row(_ id: Int64, from: Int64, to: Int64? = nil, anchor: Int64) -> SubscriptionRow {
        SubscriptionRow(id: id, subscription: Subscription(tenant: "t", planID: "starter", billingAnchor: anchor, seats: 1,
                                                           startedAt: from, endedAt: to))
    }

    @Test func periodsFollowTheAnchorFromTheFirstRowAndStopAfterTheLast() {
        let anchor = utc(2026, 1, 31, 9)
        let rows = [Self.row(1, from: anchor, to: utc(2026, 4, 10), anchor: anchor)]
        let first = BillingSchedule.nextPeriod(rows: rows, after: nil)
        #expect(first?.start == anchor && first?.end == utc(2026, 2, 28, 9))
        let second = BillingSchedule.nextPeriod(rows: rows, after: first?.end)
        #expect(second?.end == utc(2026, 3, 31, 9))
        // The period the row ends in is still billed (its fee up to the end); then nothing.
        #expect(BillingSchedule.nextPeriod(rows: rows, after: utc(2026, 3, 31, 9))?.end == utc(2026, 4, 30, 9))
        #expect(BillingSchedule.nextPeriod(rows: rows, after: utc(2026, 4, 30, 9)) == nil)
    }

    @Test func aGapBetweenSubscriptionsSkipsToTheNextStart() {
        let anchor = utc(2026, 1, 1)
        let later = utc(2026, 6, 15)
        let rows = [Self.row(1, from: anchor, to: utc(2026, 2, 1), anchor: anchor), Self.row(2, from: later, anchor: later)]
        let next = BillingSchedule.nextPeriod(rows: rows, after: utc(2026, 2, 1))
        #expect(next?.start == later && next?.end == utc(2026, 7, 15))
    }

    @Test func windowsSplitIntoEdgeHoursAndWholeDays() {
        let window = UsageReader.Window(tenant: "t", from: utc(2026, 3, 1, 9), to: utc(2026, 4, 1, 9))
        let segments = UsageReader.segments(of: [window])
        #expect(segments.map(\.grain) == [.hour, .day, .hour])
        #expect(segments.map(\.from) == [utc(2026, 3, 1, 9), utc(2026, 3, 2), utc(2026, 4, 1)])
        #expect(segments.map(\.to) == [utc(2026, 3, 2), utc(2026, 4, 1), utc(2026, 4, 1, 9)])
        // Midnight to midnight: days only; within one day: hours only; empty: nothing.
        #expect(UsageReader.segments(of: [.init(tenant: "t", from: utc(2026, 3, 1), to: utc(2026, 4, 1))]).map(\.grain) == [.day])
        #expect(UsageReader.segments(of: [.init(tenant: "t", from: utc(2026, 3, 1, 3), to: utc(2026, 3, 1, 9))]).map(\.grain) == [.hour])
        #expect(UsageReader.segments(of: [.init(tenant: "t", from: 10, to: 10)]).isEmpty)
    }

    @Test func sourcesReadBackExactly() {
        let sources = [
            UsageSource(grain: .day, metric: "m", type: .counter, fromBucket: utc(2026, 3, 2), toBucket: utc(2026, 4, 1), rows: 30,
                        quantity: QuantitySum(Quantity("1250.000001")!)),
            UsageSource(grain: .hour, metric: "m", type: .gauge, fromBucket: utc(2026, 3, 1, 9), toBucket: utc(2026, 3, 2), rows: 15,
                        quantity: QuantitySum(Quantity("-3.5")!)),
        ]
        #expect(UsageSourceJSON.decode(UsageSourceJSON.encode(sources), metric: "m") == sources)
        #expect(UsageSourceJSON.decode("not json", metric: "m").isEmpty)
    }

    @Test func taxRateFileIsCheckedLineByLine() throws {
        let rates = try TaxRateFile.parse("rates:\n  US-CA: {name: Sales tax, percent: 7.25}\n  DE: {name: VAT, percent: 19}\n", path: "t.yaml")
        #expect(rates.map(\.region) == ["DE", "US-CA"] && rates[1].percent == Quantity("7.25")!)
        func problem(_ text: String) -> String? {
            do { _ = try TaxRateFile.parse(text, path: "t.yaml"); return nil } catch { return error.description }
        }
        #expect(problem("rates:\n  Germany: {name: VAT, percent: 19}\n") == "tax rate file t.yaml, line 2: region 'Germany' must be an ISO 3166 code such as DE or US-CA")
        #expect(problem("rates:\n  DE: {name: VAT, percent: 100}\n")?.contains("'percent' must be a decimal from 0 to below 100") == true)
        #expect(problem("rates:\n  DE: {name: VAT, percent: 19, rate: 1}\n")?.contains("unknown key 'rate'") == true)
        #expect(problem("rates:\n  DE: {percent: 19}\n")?.contains("'name'") == true)
        #expect(problem("taxes: {}\n")?.contains("unknown key 'taxes'") == true)
    }

    @Test func shippedTaxRateFileLoads() throws {
        let path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let rates = try TaxRateFile.load(path: "/" + path + "/config/tax-rates.yaml")
        #expect(rates.contains { $0.region == "US-CA" && $0.percent == Quantity("7.25")! })
    }

    @Test func couponDurationsParse() {
        #expect(BillingSettingsStore.CouponDuration("once") == .once)
        #expect(BillingSettingsStore.CouponDuration("forever") == .forever)
        #expect(BillingSettingsStore.CouponDuration("repeating:3") == .repeating(3))
        for bad in ["repeating:0", "repeating:121", "repeating:", "twice", ""] { #expect(BillingSettingsStore.CouponDuration(bad) == nil) }
    }
}
