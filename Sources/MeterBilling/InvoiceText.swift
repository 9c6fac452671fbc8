import MeterCore
public import MeterPlans

/// An invoice as plain text for a terminal (`meterctl invoice show`): the facts, then the
/// charges in aligned columns with the description last (so long ones never push the numbers
/// out of line), the totals under the amounts, credit notes and usage sources.
public enum InvoiceText {
    public static func render(_ invoice: Invoice, creditNotes: [CreditNote] = []) -> String {
        let sheet = Sheet(invoice: invoice, creditNotes: creditNotes)
        var blocks = [sheet.facts(), sheet.chargesAndTotals()]
        if !creditNotes.isEmpty { blocks.append(sheet.creditNoteList()) }
        if let sources = sheet.sources() { blocks.append(sources) }
        return blocks.map { $0.joined(separator: "\n") + "\n" }.joined(separator: "\n")
    }

    /// Text from data made harmless on a terminal: tabs and line breaks become spaces (they
    /// would break the columns), other control characters (escape sequences) U+FFFD.
    static func terminalSafe(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\t", "\n", "\r": result += " "
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value): result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The blocks of one invoice's text, each a list of lines.
    struct Sheet {
        let invoice: Invoice
        let creditNotes: [CreditNote]
        let decimals: Int

        init(invoice: Invoice, creditNotes: [CreditNote]) {
            self.invoice = invoice
            self.creditNotes = creditNotes
            decimals = CurrencyUnits.decimals(invoice.currency)
        }

        func money(_ money: Money) -> String { MoneyFormat.grouped(money, decimals: decimals) }

        func facts() -> [String] {
            var facts = Columns([.left, .left])
            facts.add(["Tenant", invoice.tenant])
            if let name = invoice.customerName { facts.add(["Customer", name]) }
            if let email = invoice.customerEmail { facts.add(["E-mail", email]) }
            if let region = invoice.region { facts.add(["Region", region]) }
            facts.add(["Billing period", InvoiceDates.period(start: invoice.periodStart, end: invoice.periodEnd)])
            facts.add(["Issue date", invoice.finalizedAt.map(InvoiceDates.date) ?? "not issued"])
            if let dueAt = invoice.dueAt { facts.add(["Due date", InvoiceDates.date(dueAt)]) }
            if let paidAt = invoice.paidAt { facts.add(["Paid", InvoiceDates.date(paidAt)]) }
            if let voidedAt = invoice.voidedAt { facts.add(["Voided", InvoiceDates.date(voidedAt)]) }
            facts.add(["Currency", invoice.currency])
            let title = "Invoice \(invoice.number.map(terminalSafe) ?? "(not yet numbered)")  \(invoice.status.rawValue.uppercased())"
            return [title] + facts.lines
        }

        /// The charge lines, a blank line, then the totals: label, amount under the Amount
        /// column, details (the coupons, the tax rate, the credit notes).
        func chargesAndTotals() -> [String] {
            let currency = terminalSafe(invoice.currency)
            let totals: [(label: String, amount: String, details: [String])] = [
                ("Subtotal", money(invoice.subtotal), []),
                ("Discount", money(invoice.discountTotal), InvoiceLayout.discountDetails(invoice)),
                ("Tax", money(invoice.taxTotal), InvoiceLayout.taxDetails(invoice)),
                ("Total", "\(currency) \(money(invoice.total))", []),
                ("Credited", money(Money(micros: -invoice.credited.micros)), creditNotes.map(\.number)),
                ("Balance due", "\(currency) \(money(InvoiceBalance.due(invoice)))", []),
            ]
            var charges = Columns([.right, .left, .right, .right, .right, .left])
            charges.add(["#", "Kind", "Quantity", "Unit price", "Amount", "Description"])
            for (number, charge) in InvoiceLayout.numberedCharges(invoice) {
                charges.add([String(number), InvoiceLayout.kindName(charge.kind),
                             charge.quantity.map { MoneyFormat.groupingThousands($0.description) } ?? "",
                             charge.unitPrice.map(money) ?? "", money(charge.amount), charge.description])
            }
            charges.minimumWidths = [0, 0, 0, 0, totals.map(\.amount.count).max() ?? 0]
            // The labels end where the Amount column starts.
            let widths = charges.widths
            let labelWidth = widths[0..<4].reduce(0, +) + 2 * 3
            let totalLines = totals.map { row in
                let label = String(repeating: " ", count: max(0, labelWidth - row.label.count)) + row.label
                let amount = String(repeating: " ", count: max(0, widths[4] - row.amount.count)) + row.amount
                let details = row.details.map(terminalSafe).joined(separator: "; ")
                return label + "  " + amount + (details.isEmpty ? "" : "  " + details)
            }
            return charges.lines + [""] + totalLines
        }

        func creditNoteList() -> [String] {
            var notes = Columns([.left, .left, .right, .left])
            notes.add(["Number", "Date", "Amount", "Reason"])
            for note in creditNotes { notes.add([note.number, InvoiceDates.date(note.createdAt), money(note.amount), note.reason]) }
            return ["Credit notes"] + notes.lines.map { "  " + $0 }
        }

        /// Per usage line, the rollup rows it was computed from; nil without usage lines.
        func sources() -> [String]? {
            let traced = InvoiceLayout.numberedCharges(invoice).filter { !$0.line.sources.isEmpty }
            guard !traced.isEmpty else { return nil }
            var sources = Columns([.right, .left, .left, .left, .left, .left, .right, .right])
            sources.add(["Line", "Grain", "Metric", "Type", "From", "To", "Rows", "Quantity"])
            for (number, charge) in traced {
                for source in charge.sources {
                    sources.add([String(number), source.grain.name, source.metric, String(source.type.wireLetter),
                                 InvoiceDates.instant(source.fromBucket), InvoiceDates.instant(source.toBucket),
                                 MoneyFormat.groupingThousands(String(source.rows)),
                                 MoneyFormat.groupingThousands(source.quantity.description)])
                }
            }
            let heading = "Usage sources: the rollup rows of meterd.usage_<grain> each usage line was computed from "
                + "(buckets From up to, not including, To)"
            return [heading] + sources.lines.map { "  " + $0 }
        }
    }
}
