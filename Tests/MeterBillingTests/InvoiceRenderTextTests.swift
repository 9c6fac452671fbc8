import MeterBilling
import MeterCore
import MeterPlans
import Testing

/// The terminal rendering of invoices computed by `InvoiceCalculator`: columns line up.
@Suite struct InvoiceRenderTextTests {
    typealias Fixtures = InvoiceRenderFixtures

    /// The column (in characters) where `needle` ends on `line`.
    func end(of needle: String, in line: Substring) -> Int? {
        guard let range = line.firstRange(of: needle) else { return nil }
        return line.distance(from: line.startIndex, to: range.upperBound)
    }

    func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    @Test func amountsAndTotalsEndInOneColumn() throws {
        let text = InvoiceText.render(Fixtures.invoice(Fixtures.annualCreditDraft(), customerName: "Acme"))
        let rows = lines(text)
        let header = try #require(rows.first { $0.contains("Unit price") })
        let amountEnd = try #require(end(of: "Amount", in: header))
        // (start of the row without its indentation, amount)
        let amounts = [("1  Proration", "-1,621,972.60"), ("2  Proration", "163,967.74"), ("Subtotal", "-1,458,004.86"),
                       ("Discount", "0.00"), ("Tax", "0.00"), ("Total", "USD -1,458,004.86"), ("Credited", "0.00"),
                       ("Balance due", "USD -1,458,004.86")]
        for (start, amount) in amounts {
            let row = try #require(rows.first { $0.drop { $0 == " " }.hasPrefix(start) }, "\(start)")
            #expect(end(of: amount, in: row) == amountEnd, "\(row)")
        }
        // Quantities and unit prices are right-aligned under their headings too.
        let quantityEnd = end(of: "Quantity", in: header), priceEnd = end(of: "Unit price", in: header)
        for row in rows.filter({ $0.contains("Proration") }) {
            #expect(end(of: "1,000", in: row) == quantityEnd)
            #expect(end(of: "2,990.00", in: row) ?? end(of: "299.00", in: row) == priceEnd)
        }
        #expect(text.hasPrefix("Invoice ACME-000042  FINALIZED\n"))
    }

    @Test func factsChargesTotalsAndSourcesAreAllThere() throws {
        let text = InvoiceText.render(Fixtures.invoice(Fixtures.marchDraft(), credited: Fixtures.money("50")),
                                      creditNotes: [Fixtures.creditNote(amount: "50")])
        let rows = lines(text)
        for fact in ["Tenant          acme", "Customer        Acme Health", "E-mail          billing@acme.test", "Region          US-CA",
                     "Billing period  2026-03-01 – 2026-03-31", "Issue date      2026-04-01 00:05 UTC",
                     "Due date        2026-04-15 00:05 UTC", "Currency        USD"] {
            #expect(rows.contains { $0 == fact }, "\(fact)")
        }
        let fee = "Starter (monthly), 1 seat, 2026-03-01T00:00:00Z to 2026-04-01T00:00:00Z"
        #expect(rows.contains { $0.hasPrefix("1  Subscription") && $0.hasSuffix(fee) })
        #expect(rows.contains { $0.hasPrefix("2  Overage") && $0.contains("250") && $0.contains("12.50") })
        #expect(rows.contains { $0.hasSuffix("-31.15  Discount SAVE10: 10 % off 311.5") })
        #expect(rows.contains { $0.hasSuffix("20.33  Sales tax US-CA 7.25 % of 280.35") })
        #expect(rows.contains { $0.hasSuffix("Credited      -50.00  ACME-CN-000003") })
        #expect(rows.contains { $0.hasSuffix("Balance due  USD 250.68") })
        #expect(rows.contains { $0.hasPrefix("  ACME-CN-000003  2026-04-03 10:00 UTC") && $0.hasSuffix("outage on 2026-03-12") })
        let source = try #require(rows.first { $0.contains("ai_interactions") && $0.contains("hour") })
        #expect(source.contains("2026-03-01 00:00 UTC") && source.contains("2026-04-01 00:00 UTC") && source.hasSuffix("720     1,250"))
    }

    @Test func draftsAndOtherCurrenciesRender() {
        let kwd = Fixtures.marchDraft(currency: "KWD", monthly: "99.5", aiOverage: "0.0125")
        let draft = InvoiceText.render(Fixtures.invoice(kwd, status: .draft))
        #expect(draft.hasPrefix("Invoice (not yet numbered)  DRAFT\n"))
        #expect(draft.contains("Issue date      not issued\n"))
        #expect(draft.contains("99.500") && draft.contains("0.0125") && draft.contains("3.125"))
        let yen = InvoiceText.render(Fixtures.invoice(Fixtures.marchDraft(currency: "JPY", monthly: "29900", aiOverage: "3"), status: .paid))
        #expect(yen.hasPrefix("Invoice ACME-000042  PAID\n"))
        #expect(yen.contains("Total  JPY 29,585\n") && yen.contains("Balance due       JPY 0\n"))
    }

    @Test func controlCharactersCannotReachTheTerminal() {
        var draft = Fixtures.marchDraft()
        draft.lines[0].description = "two\nlines\tand \u{1B}[31mred\u{1B}[0m"
        let text = InvoiceText.render(Fixtures.invoice(draft, customerName: "Evil\u{1B}]0;title\u{7}"))
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(text.contains("two lines and \u{FFFD}[31mred\u{FFFD}[0m"))
        #expect(text.contains("Customer        Evil\u{FFFD}]0;title\u{FFFD}\n"))
    }
}
