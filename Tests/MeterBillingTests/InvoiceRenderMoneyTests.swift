import MeterBilling
import MeterCore
import MeterPlans
import Testing

/// Amounts as invoice text: the currency's decimals, signs, grouping; dates as people read them.
@Suite struct InvoiceRenderMoneyTests {
    @Test func amountsHaveExactlyTheCurrencysDecimals() {
        let amount = Money(micros: 135_030_000)
        #expect(MoneyFormat.plain(amount, currency: "USD") == "135.03")
        #expect(MoneyFormat.plain(Money(micros: 135_000_000), currency: "JPY") == "135")
        #expect(MoneyFormat.plain(amount, currency: "KWD") == "135.030")
        #expect(MoneyFormat.plain(Money(micros: 135_500_000), currency: "EUR") == "135.50")
        #expect(MoneyFormat.plain(Money(micros: 1_000), currency: "KWD") == "0.001")
    }

    @Test func zeroIsWrittenWithTheCurrencysDecimals() {
        #expect(MoneyFormat.plain(.zero, decimals: 2) == "0.00")
        #expect(MoneyFormat.plain(.zero, decimals: 0) == "0")
        #expect(MoneyFormat.plain(.zero, decimals: 3) == "0.000")
        #expect(MoneyFormat.grouped(.zero, decimals: 2) == "0.00")
    }

    @Test func negativeAmountsHaveALeadingMinus() {
        #expect(MoneyFormat.plain(Money(micros: -12_500_000), decimals: 2) == "-12.50")
        #expect(MoneyFormat.plain(Money(micros: -10_000), decimals: 2) == "-0.01")
        #expect(MoneyFormat.plain(Money(micros: -5_000_000), decimals: 0) == "-5")
        #expect(MoneyFormat.grouped(Money(micros: -1_621_972_600_000), decimals: 2) == "-1,621,972.60")
    }

    @Test func finerUnitPricesKeepTheirDigits() {
        // 0.015 per SMS in USD is a price, not a rounded amount: it is never shown as 0.02.
        #expect(MoneyFormat.plain(Money(micros: 15_000), decimals: 2) == "0.015")
        #expect(MoneyFormat.plain(Money(micros: 12_500), decimals: 3) == "0.0125")
        #expect(MoneyFormat.plain(Money(micros: 1), decimals: 0) == "0.000001")
    }

    @Test func groupingIsByThousandsOfTheWholePartOnly() {
        #expect(MoneyFormat.grouped(Money(micros: 1_234_567_890_000), decimals: 2) == "1,234,567.89")
        #expect(MoneyFormat.grouped(Money(micros: 999_990_000), decimals: 2) == "999.99")
        #expect(MoneyFormat.grouped(Money(micros: 1_000_000_000), decimals: 0) == "1,000")
        #expect(MoneyFormat.grouped(Money(micros: 100_000_000_000), decimals: 3) == "100,000.000")
        #expect(MoneyFormat.groupingThousands("1234.123456") == "1,234.123456")
        #expect(MoneyFormat.groupingThousands("-123456") == "-123,456")
        #expect(MoneyFormat.groupingThousands("12") == "12")
        // JSON's form is never grouped.
        #expect(MoneyFormat.plain(Money(micros: 1_234_567_890_000), decimals: 2) == "1234567.89")
    }

    @Test func extremeAmountsFormatExactly() {
        #expect(MoneyFormat.plain(Money(micros: .max), decimals: 2) == "9223372036854.775807")
        #expect(MoneyFormat.plain(Money(micros: .min), decimals: 2) == "-9223372036854.775808")
        #expect(MoneyFormat.grouped(Money(micros: .min), decimals: 2) == "-9,223,372,036,854.775808")
    }

    func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0) -> Int64 { utc(year, month, day, hour) }

    @Test func datesShowTheTimeOfDayOnlyWhenThereIsOne() {
        #expect(InvoiceDates.date(utc(2026, 3, 1)) == "2026-03-01")
        #expect(InvoiceDates.date(utc(2026, 1, 31, 9)) == "2026-01-31 09:00 UTC")
        #expect(InvoiceDates.date(utc(2026, 1, 31) + 30) == "2026-01-31 00:00:30 UTC")
        #expect(InvoiceDates.instant(utc(2026, 3, 1)) == "2026-03-01 00:00 UTC")
        // A period of whole days shows its last day; one anchored at 09:00 its two instants.
        #expect(InvoiceDates.period(start: utc(2026, 3, 1), end: utc(2026, 4, 1)) == "2026-03-01 – 2026-03-31")
        #expect(InvoiceDates.period(start: utc(2026, 1, 31, 9), end: utc(2026, 2, 28, 9)) == "2026-01-31 09:00 UTC – 2026-02-28 09:00 UTC")
    }
}
