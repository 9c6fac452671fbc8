import MeterCore
public import MeterPlans

/// An invoice as JSON, for `meterctl invoice show --json` and other programs: snake_case keys
/// in a fixed order, every amount and quantity a decimal string (`"135.03"`, never a JSON
/// number, so no client reads money as binary floating point), every time an ISO 8601 string
/// in UTC, absent values `null`. The schema is documented field by field in docs/billing.md
/// "Output"; `schemaVersion` changes when a field changes meaning or goes away.
public enum InvoiceJSON {
    /// The `schema_version` of every document written here.
    public static let schemaVersion: Int64 = 1

    /// One invoice with its lines, their usage sources, totals and the credit notes against it.
    public static func render(_ invoice: Invoice, creditNotes: [CreditNote] = []) -> String {
        let decimals = CurrencyUnits.decimals(invoice.currency)
        let members = header(invoice) + [
            ("lines", .array(invoice.lines.map { line($0, decimals: decimals) })),
            ("totals", totals(invoice, decimals: decimals)),
            ("credit_notes", .array(creditNotes.map { creditNote($0, decimals: decimals) })),
        ]
        return Value.object(members).text
    }

    /// A summary per invoice (no lines, no credit notes; `line_count` instead), for listings.
    public static func renderList(_ invoices: [Invoice]) -> String {
        Value.array(invoices.map { invoice in
            .object(header(invoice) + [
                ("line_count", .integer(Int64(invoice.lines.count))),
                ("totals", totals(invoice, decimals: CurrencyUnits.decimals(invoice.currency))),
            ])
        }).text
    }

    static func header(_ invoice: Invoice) -> [(key: String, value: Value)] {
        [
            ("schema_version", .integer(schemaVersion)),
            ("id", .integer(invoice.id)),
            ("number", .optional(invoice.number)),
            ("status", .string(invoice.status.rawValue)),
            ("tenant", .string(invoice.tenant)),
            ("customer", .object([
                ("name", .optional(invoice.customerName)),
                ("email", .optional(invoice.customerEmail)),
                ("region", .optional(invoice.region)),
            ])),
            ("currency", .string(invoice.currency)),
            ("currency_decimals", .integer(Int64(CurrencyUnits.decimals(invoice.currency)))),
            ("period_start", time(invoice.periodStart)),
            ("period_end", time(invoice.periodEnd)),
            ("created_at", time(invoice.createdAt)),
            ("finalized_at", time(invoice.finalizedAt)),
            ("due_at", time(invoice.dueAt)),
            ("paid_at", time(invoice.paidAt)),
            ("voided_at", time(invoice.voidedAt)),
        ]
    }

    static func line(_ line: InvoiceLine, decimals: Int) -> Value {
        .object([
            ("kind", .string(line.kind.rawValue)),
            ("description", .string(line.description)),
            ("quantity", .optional(line.quantity?.description)),
            ("unit_price", .optional(line.unitPrice.map { MoneyFormat.plain($0, decimals: decimals) })),
            ("amount", money(line.amount, decimals: decimals)),
            ("from", time(line.from)),
            ("to", time(line.to)),
            ("metric", .optional(line.metric)),
            ("plan", .optional(line.planID)),
            ("subscription_id", line.subscriptionID.map { .integer($0) } ?? .null),
            ("coupon", .optional(line.couponCode)),
            ("sources", .array(line.sources.map(source))),
        ])
    }

    static func source(_ source: UsageSource) -> Value {
        .object([
            ("grain", .string(source.grain.name)),
            ("metric", .string(source.metric)),
            ("type", .string(String(source.type.wireLetter))),
            ("from_bucket", time(source.fromBucket)),
            ("to_bucket", time(source.toBucket)),
            ("rows", .integer(Int64(source.rows))),
            ("quantity", .string(source.quantity.description)),
        ])
    }

    static func totals(_ invoice: Invoice, decimals: Int) -> Value {
        .object([
            ("subtotal", money(invoice.subtotal, decimals: decimals)),
            ("discount", money(invoice.discountTotal, decimals: decimals)),
            ("tax", money(invoice.taxTotal, decimals: decimals)),
            ("total", money(invoice.total, decimals: decimals)),
            ("credited", money(invoice.credited, decimals: decimals)),
            ("balance_due", money(InvoiceBalance.due(invoice), decimals: decimals)),
        ])
    }

    static func creditNote(_ note: CreditNote, decimals: Int) -> Value {
        .object([
            ("id", .integer(note.id)),
            ("number", .string(note.number)),
            ("invoice_id", .integer(note.invoiceID)),
            ("invoice_number", .string(note.invoiceNumber)),
            ("amount", money(note.amount, decimals: decimals)),
            ("reason", .string(note.reason)),
            ("created_at", time(note.createdAt)),
        ])
    }

    static func money(_ money: Money, decimals: Int) -> Value { .string(MoneyFormat.plain(money, decimals: decimals)) }

    static func time(_ seconds: Int64?) -> Value { .optional(seconds.map { CivilTime(unixSeconds: $0).description }) }
}
