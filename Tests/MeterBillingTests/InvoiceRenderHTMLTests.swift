import MeterBilling
import MeterCore
import MeterPlans
import Testing

/// The printable HTML page of invoices computed by `InvoiceCalculator`.
@Suite struct InvoiceRenderHTMLTests {
    typealias Fixtures = InvoiceRenderFixtures

    func count(_ needle: String, in text: String) -> Int { text.ranges(of: needle).count }

    @Test func pageIsSelfContainedAndPrintable() {
        let html = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft()), issuer: .meterd)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("@media print") && html.contains("@page"))
        // No scripts and nothing fetched: no links, sources, imports or URLs.
        for forbidden in ["<script", "<link", "src=", "href=", "@import", "url(", "http:", "https:"] {
            #expect(!html.lowercased().contains(forbidden), "\(forbidden)")
        }
        // Every element opened is closed.
        for tag in ["html", "head", "body", "main", "header", "section", "table", "thead", "tbody", "tr", "td", "th", "dl", "p"] {
            #expect(count("<\(tag)>", in: html) + count("<\(tag) ", in: html) == count("</\(tag)>", in: html), "\(tag)")
        }
    }

    @Test func everyTextFromDataIsEscaped() {
        let hostile = "<script>alert(1)</script> & \"Sons\" 'Ltd'"
        var draft = Fixtures.marchDraft()
        draft.lines[0].description = hostile
        draft.lines[1].sources[0].metric = "<b>metric</b>"
        var invoice = Fixtures.invoice(draft, number: "ACME-<1>", customerName: hostile, customerEmail: "a&b@<x>.test")
        invoice.tenant = "<img onerror=x>"
        invoice.region = "US&<CA>"
        invoice.currency = "<US>"
        let issuer = InvoiceIssuer(name: "Meter & <Co>", addressLines: ["1 <Main> St & Co"], email: "<bill>@m.test", taxID: "\"DE\"123")
        let html = InvoiceHTML.render(invoice, issuer: issuer, creditNotes: [Fixtures.creditNote(amount: "1", reason: hostile)])
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>") && !html.contains("<US>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Sons&quot; &#39;Ltd&#39;"))
        #expect(count("&lt;script&gt;", in: html) >= 4)  // title, customer, charge line, credit note reason
        for escaped in ["&lt;img onerror=x&gt;", "US&amp;&lt;CA&gt;", "a&amp;b@&lt;x&gt;.test", "ACME-&lt;1&gt;", "Meter &amp; &lt;Co&gt;",
                        "1 &lt;Main&gt; St &amp; Co", "&lt;bill&gt;@m.test", "&quot;DE&quot;123", "&lt;b&gt;metric&lt;/b&gt;",
                        "&lt;US&gt;"] {
            #expect(html.contains(escaped), "\(escaped)")
        }
        // The only ampersands are entities.
        #expect(html.ranges(of: #/&(?!(amp|lt|gt|quot|#39);)/#).isEmpty)
    }

    @Test func draftsVoidAndPaidInvoicesSayWhatTheyAre() {
        let draft = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft(), status: .draft))
        #expect(draft.contains("<div class=\"watermark\" aria-hidden=\"true\">DRAFT</div>"))
        #expect(draft.contains("<span class=\"badge badge-draft\">DRAFT</span>"))
        #expect(draft.contains("Not yet numbered") && draft.contains("<title>Draft invoice – Acme Health</title>"))
        #expect(draft.contains("<dt>Issue date</dt><dd>Not issued</dd>"))

        let void = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft(), status: .void))
        #expect(void.contains(">VOID</div>") && void.contains("<span class=\"badge badge-void\">VOID</span>"))
        #expect(void.contains("<dt>Voided</dt><dd>2026-04-01 01:05 UTC</dd>"))

        let paid = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft(), status: .paid))
        #expect(paid.contains("<span class=\"badge badge-paid\">PAID</span>") && !paid.contains("class=\"watermark\""))
        #expect(paid.contains("<dt>Paid</dt><dd>2026-04-02 00:05 UTC</dd>"))

        let finalized = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft()))
        #expect(!finalized.contains("class=\"badge") && !finalized.contains("class=\"watermark\""))
        #expect(finalized.contains("<title>Invoice ACME-000042 – Acme Health</title>"))
        #expect(finalized.contains("<p class=\"number\">ACME-000042</p>"))
    }

    @Test func factsLinesAndTotalsAreShown() {
        let issuer = InvoiceIssuer(name: "Meter Co", addressLines: ["1 Main St", "Springfield"], email: "bill@meter.test", taxID: "US-123")
        let html = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft(), credited: Fixtures.money("50")), issuer: issuer,
                                      creditNotes: [Fixtures.creditNote(amount: "50")])
        for fact in ["<dt>Invoice number</dt><dd>ACME-000042</dd>", "<dt>Issue date</dt><dd>2026-04-01 00:05 UTC</dd>",
                     "<dt>Due date</dt><dd>2026-04-15 00:05 UTC</dd>", "<dt>Billing period</dt><dd>2026-03-01 – 2026-03-31</dd>",
                     "<dt>Currency</dt><dd>USD</dd>", "<p><strong>Acme Health</strong></p>", "<p>billing@acme.test</p>",
                     "Tenant acme", "Region US-CA", "<p>1 Main St</p>", "<p>Springfield</p>", "Tax ID US-123"] {
            #expect(html.contains(fact), "\(fact)")
        }
        // Charges only: the discount and the tax are with the totals.
        #expect(html.contains("<td class=\"num\">1</td><td>Starter (monthly), 1 seat, 2026-03-01T00:00:00Z to 2026-04-01T00:00:00Z"
            + "<span class=\"kind\">Subscription</span></td><td class=\"num\">1</td><td class=\"num\">299.00</td>"
            + "<td class=\"num\">299.00</td></tr>"))
        #expect(html.contains("<span class=\"kind\">Overage</span></td><td class=\"num\">250</td><td class=\"num\">0.05</td>"
            + "<td class=\"num\">12.50</td></tr>"))
        #expect(count("<span class=\"kind\">", in: html) == 2)
        for total in ["<tr><th>Subtotal</th><td class=\"num\">311.50</td></tr>",
                      "<tr><th>Discount<span class=\"detail\">Discount SAVE10: 10 % off 311.5</span></th>"
                          + "<td class=\"num\">-31.15</td></tr>",
                      "<tr><th>Tax<span class=\"detail\">Sales tax US-CA 7.25 % of 280.35</span></th><td class=\"num\">20.33</td></tr>",
                      "<tr class=\"total\"><th>Total</th><td class=\"num\">USD 300.68</td></tr>",
                      "<tr><th>Credited<span class=\"detail\">ACME-CN-000003</span></th><td class=\"num\">-50.00</td></tr>",
                      "<tr class=\"balance\"><th>Balance due</th><td class=\"num\">USD 250.68</td></tr>"] {
            #expect(html.contains(total), "\(total)")
        }
        #expect(html.contains("<td>ACME-CN-000003</td><td>2026-04-03 10:00 UTC</td><td>Service credit: outage on 2026-03-12</td>"
            + "<td class=\"num\">50.00</td>"))
    }

    @Test func usageLinesTraceBackToRollupRows() {
        let html = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft(aiUsed: "1251234.5")))
        #expect(html.contains("<h2>Usage sources</h2>"))
        #expect(html.contains("<caption>Line 2: ai_interactions</caption>"))
        #expect(html.contains("<tr><td>hour</td><td>ai_interactions</td><td>c</td><td>2026-03-01 00:00 UTC – 2026-04-01 00:00 UTC</td>"
            + "<td class=\"num\">720</td><td class=\"num\">1,251,234.5</td></tr>"))
        // 1,250,234.5 over at 0.05 = 62,511.725 -> 62,511.73, grouped.
        #expect(html.contains("<td class=\"num\">1,250,234.5</td><td class=\"num\">0.05</td><td class=\"num\">62,511.73</td>"))
        // No usage, no appendix.
        #expect(!InvoiceHTML.render(Fixtures.invoice(Fixtures.annualCreditDraft())).contains("Usage sources"))
    }

    @Test func largeNegativeAndZeroDecimalAmounts() {
        let html = InvoiceHTML.render(Fixtures.invoice(Fixtures.annualCreditDraft()))
        #expect(html.contains("<td class=\"num\">1,000</td><td class=\"num\">2,990.00</td><td class=\"num\">-1,621,972.60</td>"))
        #expect(html.contains("<td class=\"num\">163,967.74</td></tr>"))
        #expect(html.contains("<tr class=\"total\"><th>Total</th><td class=\"num\">USD -1,458,004.86</td></tr>"))
        #expect(html.contains("<tr><th>Discount</th><td class=\"num\">0.00</td></tr>"))

        let yen = InvoiceHTML.render(Fixtures.invoice(Fixtures.marchDraft(currency: "JPY", monthly: "29900", aiOverage: "3")))
        #expect(yen.contains("<td class=\"num\">29,900</td><td class=\"num\">29,900</td></tr>"))
        // 30,650 - 3,065 = 27,585; tax 7.25 % = 1,999.9125 -> 2,000.
        #expect(yen.contains("<tr class=\"total\"><th>Total</th><td class=\"num\">JPY 29,585</td></tr>"))
    }
}
