import MeterCore
public import MeterPlans

/// An invoice as one self-contained, printable HTML5 page: inline style sheet, no scripts, no
/// external assets (docs/billing.md "Output"). Every text that comes from data is escaped.
public enum InvoiceHTML {
    public static func render(_ invoice: Invoice, issuer: InvoiceIssuer = .meterd, creditNotes: [CreditNote] = []) -> String {
        let page = Page(invoice: invoice, decimals: CurrencyUnits.decimals(invoice.currency))
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(page.title)</title>
        <style>
        \(styleSheet)
        </style>
        </head>
        <body>

        """
        if let watermark = page.watermark { html += "<div class=\"watermark\" aria-hidden=\"true\">\(watermark)</div>\n" }
        html += "<main class=\"invoice\">\n"
        html += page.header(issuer: issuer)
        html += page.parties()
        html += page.lines()
        html += page.totals(creditNotes: creditNotes)
        html += page.creditNotes(creditNotes)
        html += page.sources()
        html += "<footer>Amounts in \(page.escaped(invoice.currency)). Dates in UTC. "
        html += "Invoice \(page.reference) of tenant \(page.escaped(invoice.tenant)).</footer>\n"
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    /// The parts of one page, each a fragment of HTML ending in a newline.
    struct Page {
        let invoice: Invoice
        let decimals: Int

        func escaped(_ text: String) -> String { HTMLEscaping.escaped(text) }

        func money(_ money: Money) -> String { MoneyFormat.grouped(money, decimals: decimals) }

        /// The number once finalized; a draft has none yet.
        var reference: String { invoice.number.map(escaped) ?? "draft #\(invoice.id)" }

        var title: String {
            let who = escaped(invoice.customerName ?? invoice.tenant)
            return invoice.number.map { "Invoice \(escaped($0)) – \(who)" } ?? "Draft invoice – \(who)"
        }

        /// Drafts and void invoices carry their status across every printed page.
        var watermark: String? {
            switch invoice.status {
            case .draft: "DRAFT"
            case .void: "VOID"
            case .finalized, .paid: nil
            }
        }

        var badge: String? {
            switch invoice.status {
            case .draft: "<span class=\"badge badge-draft\">DRAFT</span>"
            case .void: "<span class=\"badge badge-void\">VOID</span>"
            case .paid: "<span class=\"badge badge-paid\">PAID</span>"
            case .finalized: nil
            }
        }

        func header(issuer: InvoiceIssuer) -> String {
            var html = "<header class=\"top\">\n<section class=\"issuer\">\n"
            html += "<p class=\"issuer-name\"><strong>\(escaped(issuer.name))</strong></p>\n"
            for line in issuer.addressLines { html += "<p>\(escaped(line))</p>\n" }
            if let email = issuer.email { html += "<p>\(escaped(email))</p>\n" }
            if let taxID = issuer.taxID { html += "<p class=\"muted\">Tax ID \(escaped(taxID))</p>\n" }
            html += "</section>\n<section class=\"title\">\n<h1>Invoice</h1>\n"
            html += "<p class=\"number\">\(invoice.number.map(escaped) ?? "Not yet numbered")</p>\n"
            if let badge { html += badge + "\n" }
            html += "</section>\n</header>\n"
            return html
        }

        func parties() -> String {
            var html = "<section class=\"parties\">\n<div class=\"customer\">\n<h2>Bill to</h2>\n"
            if let name = invoice.customerName { html += "<p><strong>\(escaped(name))</strong></p>\n" }
            if let email = invoice.customerEmail { html += "<p>\(escaped(email))</p>\n" }
            html += "<p class=\"muted\">Tenant \(escaped(invoice.tenant))</p>\n"
            if let region = invoice.region { html += "<p class=\"muted\">Region \(escaped(region))</p>\n" }
            html += "</div>\n<dl class=\"facts\">\n"
            func fact(_ term: String, _ value: String) { html += "<dt>\(term)</dt><dd>\(value)</dd>\n" }
            fact("Invoice number", invoice.number.map(escaped) ?? "–")
            fact("Issue date", invoice.finalizedAt.map(InvoiceDates.date) ?? "Not issued")
            fact("Due date", invoice.dueAt.map(InvoiceDates.date) ?? "–")
            fact("Billing period", InvoiceDates.period(start: invoice.periodStart, end: invoice.periodEnd))
            if let paidAt = invoice.paidAt { fact("Paid", InvoiceDates.date(paidAt)) }
            if let voidedAt = invoice.voidedAt { fact("Voided", InvoiceDates.date(voidedAt)) }
            fact("Currency", escaped(invoice.currency))
            html += "</dl>\n</section>\n"
            return html
        }

        /// The charges; discounts and tax are shown with the totals.
        func lines() -> String {
            var html = "<table class=\"lines\">\n<thead><tr><th class=\"num\">#</th><th>Description</th><th class=\"num\">Quantity</th>"
            html += "<th class=\"num\">Unit price</th><th class=\"num\">Amount</th></tr></thead>\n<tbody>\n"
            for (number, line) in InvoiceLayout.numberedCharges(invoice) {
                html += "<tr><td class=\"num\">\(number)</td><td>\(escaped(line.description))"
                html += "<span class=\"kind\">\(InvoiceLayout.kindName(line.kind))</span></td>"
                html += "<td class=\"num\">\(line.quantity.map { MoneyFormat.groupingThousands($0.description) } ?? "")</td>"
                html += "<td class=\"num\">\(line.unitPrice.map(money) ?? "")</td>"
                html += "<td class=\"num\">\(money(line.amount))</td></tr>\n"
            }
            html += "</tbody>\n</table>\n"
            return html
        }

        func totals(creditNotes: [CreditNote]) -> String {
            var html = "<table class=\"totals\">\n"
            func row(_ label: String, details: [String] = [], _ amount: String, class name: String? = nil) {
                html += name.map { "<tr class=\"\($0)\">" } ?? "<tr>"
                html += "<th>\(label)"
                for detail in details { html += "<span class=\"detail\">\(escaped(detail))</span>" }
                html += "</th><td class=\"num\">\(amount)</td></tr>\n"
            }
            let currency = escaped(invoice.currency)
            row("Subtotal", money(invoice.subtotal))
            row("Discount", details: InvoiceLayout.discountDetails(invoice), money(invoice.discountTotal))
            row("Tax", details: InvoiceLayout.taxDetails(invoice), money(invoice.taxTotal))
            row("Total", "\(currency) \(money(invoice.total))", class: "total")
            row("Credited", details: creditNotes.map(\.number), money(Money(micros: -invoice.credited.micros)))
            row("Balance due", "\(currency) \(money(InvoiceBalance.due(invoice)))", class: "balance")
            html += "</table>\n"
            return html
        }

        func creditNotes(_ notes: [CreditNote]) -> String {
            guard !notes.isEmpty else { return "" }
            var html = "<section class=\"block credit-notes\">\n<h2>Credit notes</h2>\n<table>\n"
            html += "<thead><tr><th>Number</th><th>Date</th><th>Reason</th><th class=\"num\">Amount</th></tr></thead>\n<tbody>\n"
            for note in notes {
                html += "<tr><td>\(escaped(note.number))</td><td>\(InvoiceDates.date(note.createdAt))</td>"
                html += "<td>\(escaped(note.reason))</td><td class=\"num\">\(money(note.amount))</td></tr>\n"
            }
            html += "</tbody>\n</table>\n</section>\n"
            return html
        }

        /// Per usage line, the rollup rows it was computed from, so it can be checked against
        /// `meterd.usage_<grain>`.
        func sources() -> String {
            let traced = InvoiceLayout.numberedCharges(invoice).filter { !$0.line.sources.isEmpty }
            guard !traced.isEmpty else { return "" }
            var html = "<section class=\"block sources\">\n<h2>Usage sources</h2>\n"
            html += "<p class=\"muted\">Each usage line is computed from these rollup rows of <code>meterd.usage_&lt;grain&gt;</code> "
            html += "(counters: their sum; gauges: their largest value), buckets from the first instant up to, not including, "
            html += "the second.</p>\n"
            for (number, line) in traced {
                html += "<table>\n<caption>Line \(number): \(escaped(line.metric ?? line.description))</caption>\n"
                html += "<thead><tr><th>Grain</th><th>Metric</th><th>Type</th><th>Buckets</th><th class=\"num\">Rows</th>"
                html += "<th class=\"num\">Quantity</th></tr></thead>\n<tbody>\n"
                for source in line.sources {
                    html += "<tr><td>\(source.grain.name)</td><td>\(escaped(source.metric))</td><td>\(source.type.wireLetter)</td>"
                    html += "<td>\(InvoiceDates.instant(source.fromBucket)) – \(InvoiceDates.instant(source.toBucket))</td>"
                    html += "<td class=\"num\">\(MoneyFormat.groupingThousands(String(source.rows)))</td>"
                    html += "<td class=\"num\">\(MoneyFormat.groupingThousands(source.quantity.description))</td></tr>\n"
                }
                html += "</tbody>\n</table>\n"
            }
            html += "</section>\n"
            return html
        }
    }
}
