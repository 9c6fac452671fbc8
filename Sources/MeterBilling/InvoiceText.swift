import MeterCore
public import MeterPlans

/// An invoice as plain text for a terminal (`meterctl invoice show`): the facts, then the
/// charges in aligned columns with the description last (so long ones never push the numbers
/// out of line), the totals under the amounts, credit notes and usage sources.
public enum InvoiceText {
    public static func render(_ invoice: Invoice, creditNotes: [CreditNote] = []) -> String {
        let decimals = CurrencyUnits.decimals(invoice.currency)
        func money(_ money: Money) -> String { MoneyFormat.grouped(money, decimals: decimals) }
        var text = ""
        func line(_ string: String = "") { text += string + "\n" }

        line("Invoice \(invoice.number.map(terminalSafe) ?? "(not yet numbered)")  \(invoice.status.rawValue.uppercased())")
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
        facts.lines.forEach { line($0) }
        line()

        // Totals: label, amount (under the Amount column), detail.
        let currency = terminalSafe(invoice.currency)
        let total = "\(currency) \(money(invoice.total))"
        let balance = "\(currency) \(money(InvoiceBalance.due(invoice)))"
        let totals: [(label: String, amount: String, details: [String])] = [
            ("Subtotal", money(invoice.subtotal), []),
            ("Discount", money(invoice.discountTotal), InvoiceLayout.discountDetails(invoice)),
            ("Tax", money(invoice.taxTotal), InvoiceLayout.taxDetails(invoice)),
            ("Total", total, []),
            ("Credited", money(Money(micros: -invoice.credited.micros)), creditNotes.map(\.number)),
            ("Balance due", balance, []),
        ]

        var charges = Columns([.right, .left, .right, .right, .right, .left])
        charges.add(["#", "Kind", "Quantity", "Unit price", "Amount", "Description"])
        for (number, charge) in InvoiceLayout.numberedCharges(invoice) {
            charges.add([String(number), InvoiceLayout.kindName(charge.kind),
                         charge.quantity.map { MoneyFormat.groupingThousands($0.description) } ?? "",
                         charge.unitPrice.map(money) ?? "", money(charge.amount), charge.description])
        }
        charges.minimumWidths = [0, 0, 0, 0, totals.map(\.amount.count).max() ?? 0]
        charges.lines.forEach { line($0) }
        line()

        // The labels end where the Amount column starts.
        let widths = charges.widths
        let labelWidth = widths[0..<4].reduce(0, +) + 2 * 3
        for row in totals {
            let label = String(repeating: " ", count: max(0, labelWidth - row.label.count)) + row.label
            let amount = String(repeating: " ", count: max(0, widths[4] - row.amount.count)) + row.amount
            let details = row.details.map(terminalSafe).joined(separator: "; ")
            line(label + "  " + amount + (details.isEmpty ? "" : "  " + details))
        }

        if !creditNotes.isEmpty {
            line()
            line("Credit notes")
            var notes = Columns([.left, .left, .right, .left])
            notes.add(["Number", "Date", "Amount", "Reason"])
            for note in creditNotes { notes.add([note.number, InvoiceDates.date(note.createdAt), money(note.amount), note.reason]) }
            notes.lines.forEach { line("  " + $0) }
        }

        let traced = InvoiceLayout.numberedCharges(invoice).filter { !$0.line.sources.isEmpty }
        if !traced.isEmpty {
            line()
            line("Usage sources: the rollup rows of meterd.usage_<grain> each usage line was computed from (buckets From up to, not including, To)")
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
            sources.lines.forEach { line("  " + $0) }
        }
        return text
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
}
