import Foundation
import MeterBilling
import MeterCore
import MeterPlans
import Testing

/// The JSON of invoices computed by `InvoiceCalculator`, read back with Foundation's parser.
@Suite struct InvoiceRenderJSONTests {
    typealias Fixtures = InvoiceRenderFixtures

    func parse(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    func object(_ text: String) throws -> [String: Any] { try #require(try parse(text) as? [String: Any]) }

    @Test func invoiceHasEveryDocumentedFieldInOrder() throws {
        let invoice = Fixtures.invoice(Fixtures.marchDraft(), credited: Fixtures.money("50"))
        let text = InvoiceJSON.render(invoice, creditNotes: [Fixtures.creditNote(amount: "50")])
        let json = try object(text)
        let keys = ["schema_version", "id", "number", "status", "tenant", "customer", "currency", "currency_decimals", "period_start",
                    "period_end", "created_at", "finalized_at", "due_at", "paid_at", "voided_at", "lines", "totals", "credit_notes"]
        #expect(Set(json.keys) == Set(keys))
        // The writer keeps the documented order, so diffs of two renderings are readable.
        let offsets = keys.map { text.range(of: "\n  \"\($0)\": ")?.lowerBound }
        #expect(offsets.allSatisfy { $0 != nil })
        #expect(offsets.compactMap { $0 } == offsets.compactMap { $0 }.sorted())

        #expect(json["schema_version"] as? Int == 1)
        #expect(json["id"] as? Int == 42)
        #expect(json["number"] as? String == "ACME-000042")
        #expect(json["status"] as? String == "finalized")
        #expect(json["tenant"] as? String == "acme")
        #expect(json["currency"] as? String == "USD")
        #expect(json["currency_decimals"] as? Int == 2)
        #expect(json["customer"] as? [String: String] == ["name": "Acme Health", "email": "billing@acme.test", "region": "US-CA"])
        #expect(json["period_start"] as? String == "2026-03-01T00:00:00Z")
        #expect(json["period_end"] as? String == "2026-04-01T00:00:00Z")
        #expect(json["created_at"] as? String == "2026-04-01T00:04:00Z")
        #expect(json["finalized_at"] as? String == "2026-04-01T00:05:00Z")
        #expect(json["due_at"] as? String == "2026-04-15T00:05:00Z")
        #expect(json["paid_at"] is NSNull && json["voided_at"] is NSNull)

        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals as? [String: String] == ["subtotal": "311.50", "discount": "-31.15", "tax": "20.33", "total": "300.68",
                                                "credited": "50.00", "balance_due": "250.68"])

        let notes = try #require(json["credit_notes"] as? [[String: Any]])
        #expect(notes.count == 1)
        #expect(notes[0]["id"] as? Int == 3 && notes[0]["invoice_id"] as? Int == 42)
        #expect(notes[0]["number"] as? String == "ACME-CN-000003" && notes[0]["invoice_number"] as? String == "ACME-000042")
        #expect(notes[0]["amount"] as? String == "50.00")
        #expect(notes[0]["reason"] as? String == "Service credit: outage on 2026-03-12")
        #expect(notes[0]["created_at"] as? String == "2026-04-03T10:00:00Z")
    }

    @Test func linesCarryKindPricesPeriodPlanAndTheirRollupSources() throws {
        let draft = Fixtures.marchDraft()
        let lines = try #require(try object(InvoiceJSON.render(Fixtures.invoice(draft)))["lines"] as? [[String: Any]])
        #expect(lines.count == draft.lines.count)
        #expect(lines.map { $0["kind"] as? String } == ["subscription", "overage", "discount", "tax"])
        let lineKeys: Set = ["kind", "description", "quantity", "unit_price", "amount", "from", "to", "metric", "plan", "subscription_id",
                             "coupon", "sources"]
        #expect(lines.allSatisfy { Set($0.keys) == lineKeys })
        for (line, model) in zip(lines, draft.lines) { #expect(line["description"] as? String == model.description) }

        let fee = lines[0]
        #expect(fee["quantity"] as? String == "1" && fee["unit_price"] as? String == "299.00" && fee["amount"] as? String == "299.00")
        #expect(fee["from"] as? String == "2026-03-01T00:00:00Z" && fee["to"] as? String == "2026-04-01T00:00:00Z")
        #expect(fee["plan"] as? String == "starter" && fee["subscription_id"] as? Int == 7)
        #expect(fee["metric"] is NSNull && (fee["sources"] as? [Any])?.isEmpty == true)

        let overage = lines[1]
        #expect(overage["quantity"] as? String == "250" && overage["unit_price"] as? String == "0.05")
        #expect(overage["amount"] as? String == "12.50" && overage["metric"] as? String == "ai_interactions")
        #expect(overage["subscription_id"] is NSNull && overage["coupon"] is NSNull)
        #expect(lines[2]["coupon"] as? String == draft.lines[2].couponCode && lines[2]["coupon"] is String)
        let sources = try #require(overage["sources"] as? [[String: Any]])
        #expect(sources.count == 1)
        #expect(sources[0]["grain"] as? String == "hour" && sources[0]["metric"] as? String == "ai_interactions")
        #expect(sources[0]["type"] as? String == "c" && sources[0]["rows"] as? Int == 720 && sources[0]["quantity"] as? String == "1250")
        #expect(sources[0]["from_bucket"] as? String == "2026-03-01T00:00:00Z" && sources[0]["to_bucket"] as? String == "2026-04-01T00:00:00Z")

        #expect(lines[2]["amount"] as? String == "-31.15" && lines[2]["quantity"] is NSNull && lines[2]["unit_price"] is NSNull)
        #expect(lines[3]["amount"] as? String == "20.33" && lines[3]["quantity"] as? String == "7.25")
    }

    @Test func everyAmountIsAStringWithTheCurrencysDecimals() throws {
        // USD 2, JPY 0 (fee 29900, 250 over at 3 = 750), KWD 3 (99.5 fee, 250 x 0.0125 = 3.125).
        for (currency, monthly, rate, pattern, expected) in [
            ("USD", "299", "0.05", #/-?[0-9]+\.[0-9]{2}/#, ["299.00", "12.50"]),
            ("JPY", "29900", "3", #/-?[0-9]+/#, ["29900", "750"]),
            ("KWD", "99.5", "0.0125", #/-?[0-9]+\.[0-9]{3}/#, ["99.500", "3.125"]),
        ] {
            let text = InvoiceJSON.render(Fixtures.invoice(Fixtures.marchDraft(currency: currency, monthly: monthly, aiOverage: rate)))
            let json = try object(text)
            #expect(json["currency_decimals"] as? Int == CurrencyUnits.decimals(currency))
            let lines = try #require(json["lines"] as? [[String: Any]])
            #expect(lines.prefix(2).map { $0["amount"] as? String } == expected, "\(currency)")
            let totals = try #require(json["totals"] as? [String: Any])
            let amounts = lines.map { $0["amount"] } + Array(totals.values)
            for amount in amounts {
                let string = try #require(amount as? String, "\(currency): an amount that is not a string: \(String(describing: amount))")
                #expect(string.wholeMatch(of: pattern) != nil, "\(currency): \(string)")
            }
        }
        // A unit price finer than the minor unit keeps its digits.
        let kwd = try object(InvoiceJSON.render(Fixtures.invoice(Fixtures.marchDraft(currency: "KWD", monthly: "99.5", aiOverage: "0.0125"))))
        #expect((kwd["lines"] as? [[String: Any]])?[1]["unit_price"] as? String == "0.0125")
    }

    @Test func noAmountIsEverAJSONNumber() {
        // Only the documented integers (ids, counts, the schema version) are numbers.
        let text = InvoiceJSON.render(Fixtures.invoice(Fixtures.annualCreditDraft()), creditNotes: [Fixtures.creditNote(amount: "10")])
        let numbers = text.split(separator: "\n").filter { $0.contains(#/": -?[0-9]/#) }.map { $0.split(separator: "\"")[1] }
        #expect(Set(numbers).isSubset(of: ["schema_version", "id", "currency_decimals", "subscription_id", "invoice_id", "rows"]))
        #expect(!numbers.isEmpty)
    }

    @Test func largeNegativeAmountsAreExact() throws {
        let json = try object(InvoiceJSON.render(Fixtures.invoice(Fixtures.annualCreditDraft(), status: .draft)))
        let lines = try #require(json["lines"] as? [[String: Any]])
        #expect(lines.map { $0["amount"] as? String } == ["-1621972.60", "163967.74"])
        #expect(lines.map { $0["kind"] as? String } == ["proration", "proration"])
        #expect(lines[0]["unit_price"] as? String == "2990.00" && lines[0]["quantity"] as? String == "1000")
        let totals = try #require(json["totals"] as? [String: String])
        #expect(totals["total"] == "-1458004.86" && totals["balance_due"] == "-1458004.86")
        #expect(json["number"] is NSNull && json["finalized_at"] is NSNull && json["status"] as? String == "draft")
    }

    @Test func textFromDataIsEscaped() throws {
        var invoice = Fixtures.invoice(Fixtures.marchDraft(), customerName: "Quote \" backslash \\ tab\t newline\n bell\u{7} <&> é 日本")
        invoice.tenant = "ten\"ant"
        let json = try object(InvoiceJSON.render(invoice))
        #expect((json["customer"] as? [String: Any])?["name"] as? String == "Quote \" backslash \\ tab\t newline\n bell\u{7} <&> é 日本")
        #expect(json["tenant"] as? String == "ten\"ant")
    }

    @Test func statusesAndTheirDatesAreWritten() throws {
        let paid = try object(InvoiceJSON.render(Fixtures.invoice(Fixtures.marchDraft(), status: .paid)))
        #expect(paid["status"] as? String == "paid" && paid["paid_at"] as? String == "2026-04-02T00:05:00Z")
        #expect((paid["totals"] as? [String: String])?["balance_due"] == "0.00")
        let void = try object(InvoiceJSON.render(Fixtures.invoice(Fixtures.marchDraft(), status: .void)))
        #expect(void["status"] as? String == "void" && void["voided_at"] as? String == "2026-04-01T01:05:00Z")
        #expect((void["totals"] as? [String: String])?["balance_due"] == "0.00")
    }

    @Test func listSummarizesEachInvoiceWithoutLines() throws {
        let invoices = [Fixtures.invoice(Fixtures.marchDraft()), Fixtures.invoice(Fixtures.annualCreditDraft(), status: .draft)]
        let list = try #require(try parse(InvoiceJSON.renderList(invoices)) as? [[String: Any]])
        #expect(list.count == 2)
        let keys: Set = ["schema_version", "id", "number", "status", "tenant", "customer", "currency", "currency_decimals", "period_start",
                         "period_end", "created_at", "finalized_at", "due_at", "paid_at", "voided_at", "line_count", "totals"]
        #expect(list.allSatisfy { Set($0.keys) == keys })
        #expect(list.map { $0["line_count"] as? Int } == [4, 2])
        #expect(list.map { ($0["totals"] as? [String: String])?["total"] } == ["300.68", "-1458004.86"])
        #expect(list[1]["number"] is NSNull && list[0]["number"] as? String == "ACME-000042")
        #expect(InvoiceJSON.renderList([]) == "[]")
    }

    @Test func theExampleInTheDocsIsWhatRenderWrites() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/billing.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let output = try #require(text.firstRange(of: "\n## Output\n"), "docs/billing.md has no Output section")
        let example = try #require(text[output.upperBound...].firstMatch(of: #/### Example\n(?:[^`]*\n)?```json\n((?:.|\n)*?)\n```/#))
        #expect(String(example.output.1) == InvoiceJSON.render(Fixtures.invoice(Fixtures.marchDraft(couponAndTax: false))))
    }
}
