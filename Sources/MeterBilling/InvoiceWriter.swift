import MeterCore
import MeterPlans
public import MeterPostgres

/// Writes computed invoices, and finalizes them with gap-free numbers (docs/billing.md
/// "Invoices"). Set-based: one statement per table per batch (`executeBatch`, unnest).
public struct InvoiceWriter {
    public let connection: PostgresConnection
    let schema = RollupTable.schema

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Replaces the drafts of the same tenants and periods, inserts `drafts` as drafts and
    /// returns their ids in order. A finalized invoice for one of the periods makes the
    /// statement fail (unique key): the caller only passes periods not invoiced yet.
    public func insertDrafts(_ drafts: [InvoiceDraft], accounts: [String: BillingLedger.Account]) throws -> [Int64] {
        guard !drafts.isEmpty else { return [] }
        try connection.executeBatch("""
            DELETE FROM \(schema).invoices i USING unnest($1::text[], $2::bigint[]) AS d(tenant, period_start)
            WHERE i.tenant = d.tenant AND i.period_start = to_timestamp(d.period_start) AND i.status = 'draft'
            """, columns: [drafts.map(\.tenant), drafts.map { String($0.periodStart) }])
        let inserted = try connection.executeBatch("""
            INSERT INTO \(schema).invoices (tenant, period_start, period_end, status, currency, subtotal, discount_total, tax_total, total, region)
            SELECT tenant, to_timestamp(period_start), to_timestamp(period_end), 'draft', currency, subtotal, discount_total, tax_total, total, region
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::text[])
                WITH ORDINALITY AS d(tenant, period_start, period_end, currency, subtotal, discount_total, tax_total, total, region, n)
            ORDER BY n
            RETURNING id
            """, columns: [drafts.map(\.tenant), drafts.map { String($0.periodStart) }, drafts.map { String($0.periodEnd) },
                           drafts.map(\.currency), drafts.map { $0.subtotal.description }, drafts.map { $0.discountTotal.description },
                           drafts.map { $0.taxTotal.description }, drafts.map { $0.total.description },
                           drafts.map { accounts[$0.tenant]?.region }])
        // RETURNING follows the insert order, which ORDER BY n fixes.
        let ids = inserted.rows.compactMap { $0[0].flatMap { Int64($0) } }
        guard ids.count == drafts.count else {
            throw PostgresError(code: .invalidInput, message: "inserted \(ids.count) of \(drafts.count) invoices", target: connection.redactedTarget)
        }
        try insertLines(drafts, ids: ids)
        try insertUsage(drafts, ids: ids)
        return ids
    }

    func insertLines(_ drafts: [InvoiceDraft], ids: [Int64]) throws {
        var columns = Array(repeating: [String?](), count: 14)
        for (draft, id) in zip(drafts, ids) {
            for (number, line) in draft.lines.enumerated() {
                let values: [String?] = [
                    String(id), String(number + 1), line.kind.rawValue, line.description, line.quantity?.description,
                    line.unitPrice?.description, line.amount.description, line.from.map(String.init), line.to.map(String.init),
                    line.metric, line.planID, line.subscriptionID.map(String.init), line.couponCode, UsageSourceJSON.encode(line.sources),
                ]
                for (index, value) in values.enumerated() { columns[index].append(value) }
            }
        }
        guard !columns[0].isEmpty else { return }
        try connection.executeBatch("""
            INSERT INTO \(schema).invoice_lines (invoice_id, line_no, kind, description, quantity, unit_price, amount, covers_from,
                                                 covers_to, metric, plan_id, subscription_id, coupon_code, sources)
            SELECT invoice_id, line_no, kind, description, quantity, unit_price, amount, to_timestamp(covers_from), to_timestamp(covers_to),
                   metric, plan_id, subscription_id, coupon_code, sources
            FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bigint[],
                        $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::jsonb[])
                AS l(invoice_id, line_no, kind, description, quantity, unit_price, amount, covers_from, covers_to, metric, plan_id,
                     subscription_id, coupon_code, sources)
            """, columns: columns)
    }

    func insertUsage(_ drafts: [InvoiceDraft], ids: [Int64]) throws {
        var columns = Array(repeating: [String?](), count: 11)
        for (draft, id) in zip(drafts, ids) {
            for usage in draft.billedUsage {
                let values: [String?] = [String(id), draft.tenant, usage.metric, String(usage.periodStart), String(usage.periodEnd),
                                         String(usage.windowFrom), String(usage.windowTo), usage.used.description, usage.included.description,
                                         usage.planID, usage.rate]
                for (index, value) in values.enumerated() { columns[index].append(value) }
            }
        }
        guard !columns[0].isEmpty else { return }
        try connection.executeBatch("""
            INSERT INTO \(schema).invoice_usage (invoice_id, tenant, metric, period_start, period_end, window_from, window_to, used, included,
                                                 plan_id, rate)
            SELECT invoice_id, tenant, metric, to_timestamp(period_start), to_timestamp(period_end), to_timestamp(window_from),
                   to_timestamp(window_to), used, included, plan_id, rate
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::numeric[],
                        $9::numeric[], $10::text[], $11::text[])
                AS u(invoice_id, tenant, metric, period_start, period_end, window_from, window_to, used, included, plan_id, rate)
            """, columns: columns)
    }

    /// Finalizes the drafts `ids` at `at`: numbers them per invoice prefix, in id order, from
    /// the prefix's counter (moved in this same transaction, so numbers have no gaps), and sets
    /// the due date `paymentTermsDays` later. Returns the numbers by id.
    @discardableResult
    public func finalize(_ ids: [Int64], at: Int64, paymentTermsDays: Int) throws -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        let result = try connection.execute("""
            WITH chosen AS (
                SELECT i.id, a.invoice_prefix AS prefix,
                       row_number() OVER (PARTITION BY a.invoice_prefix ORDER BY i.period_start, i.id) AS n
                FROM \(schema).invoices i JOIN \(schema).billing_accounts a ON a.tenant = i.tenant
                WHERE i.id = ANY($1::bigint[]) AND i.status = 'draft'
            ), counts AS (
                SELECT prefix, count(*) AS taken FROM chosen GROUP BY prefix
            ), moved AS (
                -- Row-locked by the upsert until commit: concurrent finalizations of one prefix queue.
                INSERT INTO \(schema).invoice_sequences AS s (prefix, last_number) SELECT prefix, taken FROM counts
                ON CONFLICT (prefix) DO UPDATE SET last_number = s.last_number + EXCLUDED.last_number
                RETURNING prefix, last_number
            )
            UPDATE \(schema).invoices i
            SET status = 'finalized', number = c.prefix || '-' || lpad((m.last_number - k.taken + c.n)::text, 6, '0'),
                finalized_at = to_timestamp($2::bigint), due_at = to_timestamp($2::bigint) + make_interval(days => $3::int)
            FROM chosen c JOIN counts k USING (prefix) JOIN moved m USING (prefix)
            WHERE i.id = c.id
            RETURNING i.id, i.number
            """, parameters: [PostgresArrayLiteral.encode(ids.map { String($0) }), String(at), String(paymentTermsDays)])
        return Dictionary(result.rows.compactMap { row in row[0].flatMap { Int64($0) }.map { ($0, row[1] ?? "") } }, uniquingKeysWith: { a, _ in a })
    }
}
