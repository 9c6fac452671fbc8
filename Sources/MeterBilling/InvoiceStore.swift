import MeterCore
public import MeterPlans
public import MeterPostgres

/// Reading invoices back, and what happens to them after a run: payment, voiding, credit
/// notes (docs/billing.md "Invoices"). Blocking libpq calls, for meterctl and tests.
public struct InvoiceStore {
    public let connection: PostgresConnection
    let schema = RollupTable.schema

    public init(connection: PostgresConnection) { self.connection = connection }

    public enum StoreError: Error, CustomStringConvertible {
        case notFound(String)
        case refused(String)

        public var description: String {
            switch self {
            case .notFound(let what): "no invoice \(what)"
            case .refused(let why): why
            }
        }
    }

    static let columns = """
        i.id, i.tenant, i.number, i.status, i.currency, extract(epoch FROM i.period_start)::bigint,
        extract(epoch FROM i.period_end)::bigint, i.subtotal, i.discount_total, i.tax_total, i.total,
        (SELECT coalesce(sum(c.amount), 0) FROM \(RollupTable.schema).credit_notes c WHERE c.invoice_id = i.id),
        extract(epoch FROM i.created_at)::bigint, extract(epoch FROM i.finalized_at)::bigint, extract(epoch FROM i.due_at)::bigint,
        extract(epoch FROM i.paid_at)::bigint, extract(epoch FROM i.voided_at)::bigint, a.name, a.email, i.region
        """

    /// The invoice with id or number `reference` (`42`, `ACME-000042`), with its lines.
    public func invoice(_ reference: String) throws -> Invoice {
        let byID = Int64(reference) != nil
        let result = try connection.execute("""
            SELECT \(Self.columns) FROM \(schema).invoices i LEFT JOIN \(schema).billing_accounts a ON a.tenant = i.tenant
            WHERE \(byID ? "i.id = $1::bigint" : "i.number = $1")
            """, parameters: [reference])
        guard let row = result.rows.first, var invoice = Self.invoice(row) else { throw StoreError.notFound(reference) }
        invoice.lines = try lines(of: invoice.id)
        return invoice
    }

    /// Invoices newest period first, without lines; filtered by tenant and status when given.
    public func list(tenant: String? = nil, status: Invoice.Status? = nil, limit: Int = 100) throws -> [Invoice] {
        let result = try connection.execute("""
            SELECT \(Self.columns) FROM \(schema).invoices i LEFT JOIN \(schema).billing_accounts a ON a.tenant = i.tenant
            WHERE ($1::text IS NULL OR i.tenant = $1) AND ($2::text IS NULL OR i.status = $2)
            ORDER BY i.period_start DESC, i.tenant, i.id DESC LIMIT $3::int
            """, parameters: [tenant, status?.rawValue, String(limit)])
        return result.rows.compactMap(Self.invoice)
    }

    public func creditNotes(of invoiceID: Int64) throws -> [CreditNote] {
        try connection.execute("""
            SELECT c.id, c.tenant, c.number, c.invoice_id, i.number, c.amount, c.reason, extract(epoch FROM c.created_at)::bigint
            FROM \(schema).credit_notes c JOIN \(schema).invoices i ON i.id = c.invoice_id
            WHERE c.invoice_id = $1::bigint ORDER BY c.id
            """, parameters: [String(invoiceID)]).rows.compactMap { row in
            guard let id = row[0].flatMap({ Int64($0) }), let invoice = row[3].flatMap({ Int64($0) }),
                  let amount = row[5].flatMap(Money.init(_:)) else { return nil }
            return CreditNote(id: id, tenant: row[1] ?? "", number: row[2] ?? "", invoiceID: invoice, invoiceNumber: row[4] ?? "",
                              amount: amount, reason: row[6] ?? "", createdAt: row[7].flatMap { Int64($0) } ?? 0)
        }
    }

    /// Finalizes a draft now: numbered like a run's.
    public func finalize(_ reference: String, at: Int64, paymentTermsDays: Int = BillingLimits.defaultPaymentTermsDays) throws -> Invoice {
        let invoice = try invoice(reference)
        guard invoice.status == .draft else { throw StoreError.refused("invoice \(invoice.number ?? reference) is \(invoice.status.rawValue), not a draft") }
        _ = try connection.transaction {
            try InvoiceWriter(connection: connection).finalize([invoice.id], at: at, paymentTermsDays: paymentTermsDays)
        }
        return try self.invoice(String(invoice.id))
    }

    /// Records payment of a finalized invoice; the account leaves past_due when nothing else is overdue.
    public func markPaid(_ reference: String, at: Int64) throws -> Invoice {
        let invoice = try invoice(reference)
        guard invoice.status == .finalized else {
            throw StoreError.refused("invoice \(invoice.number ?? reference) is \(invoice.status.rawValue): only a finalized invoice can be paid")
        }
        try connection.transaction {
            try connection.execute("UPDATE \(schema).invoices SET status = 'paid', paid_at = to_timestamp($2::bigint) WHERE id = $1::bigint",
                                   parameters: [String(invoice.id), String(at)])
            try connection.execute("SELECT \(schema).settle_past_due($1, to_timestamp($2::bigint))", parameters: [invoice.tenant, String(at)])
        }
        return try self.invoice(String(invoice.id))
    }

    /// Voids a finalized, unpaid invoice: it keeps its number (never reused), and its period is
    /// not billed again (issue a credit note instead to correct part of an invoice).
    public func void(_ reference: String, reason: String, at: Int64) throws -> Invoice {
        let invoice = try invoice(reference)
        guard invoice.status == .finalized else {
            throw StoreError.refused("invoice \(invoice.number ?? reference) is \(invoice.status.rawValue): only a finalized, unpaid invoice can be voided")
        }
        try connection.transaction {
            try connection.execute("""
                UPDATE \(schema).invoices SET status = 'void', voided_at = to_timestamp($2::bigint), void_reason = $3 WHERE id = $1::bigint
                """, parameters: [String(invoice.id), String(at), reason])
            try connection.execute("SELECT \(schema).settle_past_due($1, to_timestamp($2::bigint))", parameters: [invoice.tenant, String(at)])
        }
        return try self.invoice(String(invoice.id))
    }

    /// Issues a credit note of `amount` against a finalized or paid invoice; the credit notes of
    /// an invoice never exceed its total. Numbered `<prefix>-CN-000001`, gap-free.
    public func credit(_ reference: String, amount: Money, reason: String, at: Int64) throws -> CreditNote {
        let invoice = try invoice(reference)
        guard invoice.status == .finalized || invoice.status == .paid, let number = invoice.number else {
            throw StoreError.refused("invoice \(invoice.number ?? reference) is \(invoice.status.rawValue): credit notes need a finalized or paid invoice")
        }
        guard amount.micros > 0 else { throw StoreError.refused("a credit note's amount must be above zero") }
        let id: Int64 = try connection.transaction {
            // Locks the invoice row, so concurrent credit notes are checked one after the other.
            let locked = try connection.execute("""
                SELECT i.total - (SELECT coalesce(sum(amount), 0) FROM \(schema).credit_notes WHERE invoice_id = i.id), a.invoice_prefix
                FROM \(schema).invoices i JOIN \(schema).billing_accounts a ON a.tenant = i.tenant WHERE i.id = $1::bigint FOR UPDATE OF i
                """, parameters: [String(invoice.id)])
            guard let row = locked.rows.first, let open = row[0].flatMap(QuantitySum.init(decimal:)), let prefix = row[1] else {
                throw StoreError.notFound(reference)
            }
            guard Int128(amount.micros) <= open.units else {
                throw StoreError.refused("invoice \(number) has \(open) left to credit; \(amount) is more")
            }
            // Credit notes count on their own: the prefix's "-CN" counter, gap-free like invoices'.
            let numbers = try InvoiceWriter(connection: connection)
                .takeNumbers(for: [(invoice.tenant, invoice.periodStart)], accounts: [invoice.tenant: .init(prefix: prefix + "-CN")])
            let result = try connection.execute("""
                INSERT INTO \(schema).credit_notes (tenant, number, invoice_id, amount, reason, created_at)
                VALUES ($1, $2, $3::bigint, $4::numeric, $5, to_timestamp($6::bigint)) RETURNING id
                """, parameters: [invoice.tenant, numbers.first ?? nil, String(invoice.id), amount.description, reason, String(at)])
            try connection.execute("SELECT \(schema).settle_past_due($1, to_timestamp($2::bigint))", parameters: [invoice.tenant, String(at)])
            return result.rows.first?[0].flatMap { Int64($0) } ?? 0
        }
        guard let note = try creditNotes(of: invoice.id).first(where: { $0.id == id }) else { throw StoreError.notFound("credit note \(id)") }
        return note
    }

    func lines(of id: Int64) throws -> [InvoiceLine] {
        let result = try connection.execute("""
            SELECT line_no, kind, description, quantity, unit_price, amount, extract(epoch FROM covers_from)::bigint,
                   extract(epoch FROM covers_to)::bigint, metric, plan_id, subscription_id, coupon_code, sources
            FROM \(schema).invoice_lines WHERE invoice_id = $1::bigint ORDER BY line_no
            """, parameters: [String(id)])
        return result.rows.compactMap { row in
            guard let kind = row[1].flatMap(InvoiceLine.Kind.init(rawValue:)),
                  let amount = row[5].flatMap(Money.init(storedAmount:)) else { return nil }
            return InvoiceLine(kind: kind, description: row[2] ?? "", quantity: row[3].flatMap(Quantity.init), unitPrice: row[4].flatMap(Money.init(_:)),
                               amount: amount, from: row[6].flatMap { Int64($0) }, to: row[7].flatMap { Int64($0) }, metric: row[8],
                               planID: row[9], subscriptionID: row[10].flatMap { Int64($0) },
                               sources: row[12].map { UsageSourceJSON.decode($0, metric: row[8] ?? "") } ?? [],
                               couponCode: row[11])
        }
    }

    static func invoice(_ row: [String?]) -> Invoice? {
        func int(_ index: Int) -> Int64? { row[index].flatMap { Int64($0) } }
        func money(_ index: Int) -> Money { row[index].flatMap(Money.init(storedAmount:)) ?? .zero }
        guard let id = int(0), let tenant = row[1], let status = row[3].flatMap(Invoice.Status.init(rawValue:)),
              let start = int(5), let end = int(6) else { return nil }
        return Invoice(id: id, tenant: tenant, number: row[2], status: status, currency: row[4] ?? "USD", periodStart: start, periodEnd: end,
                       lines: [], subtotal: money(7), discountTotal: money(8), taxTotal: money(9), total: money(10), credited: money(11),
                       createdAt: int(12) ?? 0, finalizedAt: int(13), dueAt: int(14), paidAt: int(15), voidedAt: int(16),
                       customerName: row[17], customerEmail: row[18], region: row[19])
    }
}
