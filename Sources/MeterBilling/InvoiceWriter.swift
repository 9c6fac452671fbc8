import MeterCore
import MeterPlans
public import MeterPostgres

/// Writes computed invoices, and finalizes them with gap-free numbers (docs/billing.md
/// "Invoices"). Set-based: one statement per table per batch (`executeBatch`, unnest).
public struct InvoiceWriter {
    public let connection: PostgresConnection
    let schema = RollupTable.schema

    public init(connection: PostgresConnection) { self.connection = connection }

    /// How `insert` leaves the invoices.
    public enum Finalization: Sendable {
        case draft
        /// Finalized at `at` (Unix seconds), due `paymentTermsDays` later.
        case finalized(at: Int64, paymentTermsDays: Int)
    }

    /// Replaces the drafts of the same tenants and periods and inserts `drafts`, as drafts or
    /// finalized with their numbers (taken in this transaction: no gaps), and returns their ids
    /// and numbers. A finalized invoice for one of the periods makes the statement fail (unique
    /// key): the caller only passes periods not invoiced yet. Call it inside a transaction.
    public func insert(_ drafts: [InvoiceDraft], accounts: [String: BillingLedger.Account],
                       as finalization: Finalization) throws -> (ids: [Int64], numbers: [Int64: String]) {
        guard !drafts.isEmpty else { return ([], [:]) }
        try connection.executeBatch("""
            DELETE FROM \(schema).invoices i USING unnest($1::text[], $2::bigint[]) AS d(tenant, period_start)
            WHERE i.tenant = d.tenant AND i.period_start = to_timestamp(d.period_start) AND i.status = 'draft'
            """, columns: [drafts.map(\.tenant), drafts.map { String($0.periodStart) }])
        var numbers: [String?] = Array(repeating: nil, count: drafts.count)
        var status = "draft", finalizedAt: String?, terms: String?
        if case .finalized(let at, let paymentTermsDays) = finalization {
            numbers = try takeNumbers(for: drafts.map { ($0.tenant, $0.periodStart) }, accounts: accounts)
            (status, finalizedAt, terms) = ("finalized", String(at), String(paymentTermsDays))
        }
        let inserted = try connection.executeBatch("""
            INSERT INTO \(schema).invoices (tenant, period_start, period_end, status, number, currency, subtotal, discount_total, tax_total,
                                             total, region, finalized_at, due_at)
            SELECT tenant, to_timestamp(period_start), to_timestamp(period_end), $11, number, currency, subtotal, discount_total, tax_total,
                   total, region, to_timestamp($12::bigint), to_timestamp($12::bigint) + make_interval(days => $13::int)
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[],
                        $9::text[], $10::text[])
                WITH ORDINALITY AS d(tenant, period_start, period_end, currency, subtotal, discount_total, tax_total, total, region, number, n)
            ORDER BY n
            RETURNING id
            """, columns: [drafts.map(\.tenant), drafts.map { String($0.periodStart) }, drafts.map { String($0.periodEnd) },
                           drafts.map(\.currency), drafts.map { $0.subtotal.description }, drafts.map { $0.discountTotal.description },
                           drafts.map { $0.taxTotal.description }, drafts.map { $0.total.description },
                           drafts.map { accounts[$0.tenant]?.region }, numbers],
            trailing: [status, finalizedAt, terms])
        // RETURNING follows the insert order, which ORDER BY n fixes.
        let ids = inserted.rows.compactMap { $0[0].flatMap { Int64($0) } }
        guard ids.count == drafts.count else {
            throw PostgresError(code: .invalidInput, message: "inserted \(ids.count) of \(drafts.count) invoices", target: connection.redactedTarget)
        }
        try insertLines(drafts, ids: ids)
        try insertUsage(drafts, ids: ids)
        var byID: [Int64: String] = [:]
        for (id, number) in zip(ids, numbers) { if let number { byID[id] = number } }
        return (ids, byID)
    }

    /// The next numbers of each prefix for `drafts` (period order within a prefix), moving the
    /// prefixes' counters; the row locks held until commit make concurrent finalizations queue.
    func takeNumbers(for drafts: [(tenant: String, periodStart: Int64)], accounts: [String: BillingLedger.Account]) throws -> [String?] {
        var byPrefix: [String: [Int]] = [:]
        for (index, draft) in drafts.enumerated() {
            guard let prefix = accounts[draft.tenant]?.prefix else {
                throw PostgresError(code: .invalidInput, message: "tenant \(draft.tenant) has no billing account", target: connection.redactedTarget)
            }
            byPrefix[prefix, default: []].append(index)
        }
        let prefixes = byPrefix.keys.sorted()
        let moved = try connection.executeBatch("""
            INSERT INTO \(schema).invoice_sequences AS s (prefix, last_number) SELECT * FROM unnest($1::text[], $2::bigint[])
            ON CONFLICT (prefix) DO UPDATE SET last_number = s.last_number + EXCLUDED.last_number
            RETURNING prefix, last_number
            """, columns: [prefixes, prefixes.map { String(byPrefix[$0]?.count ?? 0) }])
        var numbers: [String?] = Array(repeating: nil, count: drafts.count)
        for row in moved.rows {
            guard let prefix = row[0], let last = row[1].flatMap({ Int64($0) }), let indexes = byPrefix[prefix] else { continue }
            let ordered = indexes.sorted { (drafts[$0].periodStart, $0) < (drafts[$1].periodStart, $1) }
            for (offset, index) in ordered.enumerated() {
                numbers[index] = InvoiceNumber.format(prefix: prefix, number: last - Int64(ordered.count) + Int64(offset) + 1)
            }
        }
        return numbers
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
        var columns = Array(repeating: [String?](), count: 14)
        for (draft, id) in zip(drafts, ids) {
            for usage in draft.billedUsage {
                let values: [String?] = [String(id), draft.tenant, usage.metric, String(usage.periodStart), String(usage.periodEnd),
                                         String(usage.windowFrom), String(usage.windowTo), usage.used.description, usage.included.description,
                                         usage.planID, usage.rate, String(usage.recheckFrom), usage.settled.description,
                                         String(usage.kind.wireLetter)]
                for (index, value) in values.enumerated() { columns[index].append(value) }
            }
        }
        guard !columns[0].isEmpty else { return }
        try connection.executeBatch("""
            INSERT INTO \(schema).invoice_usage (invoice_id, tenant, metric, period_start, period_end, window_from, window_to, used, included,
                                                 plan_id, rate, recheck_from, settled, kind)
            SELECT invoice_id, tenant, metric, to_timestamp(period_start), to_timestamp(period_end), to_timestamp(window_from),
                   to_timestamp(window_to), used, included, plan_id, rate, to_timestamp(recheck_from), settled, kind
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::numeric[],
                        $9::numeric[], $10::text[], $11::text[], $12::bigint[], $13::numeric[], $14::text[])
                AS u(invoice_id, tenant, metric, period_start, period_end, window_from, window_to, used, included, plan_id, rate,
                     recheck_from, settled, kind)
            """, columns: columns)
    }

    /// Finalizes the drafts `ids` at `at` (`meterctl invoice finalize`): numbered like a run's
    /// invoices, due `paymentTermsDays` later. Returns the numbers by id. Call it inside a transaction.
    @discardableResult
    public func finalize(_ ids: [Int64], at: Int64, paymentTermsDays: Int) throws -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        let chosen = try connection.execute("""
            SELECT i.id, i.tenant, extract(epoch FROM i.period_start)::bigint, a.invoice_prefix
            FROM \(schema).invoices i JOIN \(schema).billing_accounts a ON a.tenant = i.tenant
            WHERE i.id = ANY($1::bigint[]) AND i.status = 'draft' ORDER BY i.id FOR UPDATE OF i
            """, parameters: [PostgresArrayLiteral.encode(ids.map { String($0) })]).rows
        let drafts = chosen.map { row in (tenant: row[1] ?? "", periodStart: row[2].flatMap { Int64($0) } ?? 0) }
        var accounts: [String: BillingLedger.Account] = [:]
        for row in chosen { if let tenant = row[1], let prefix = row[3] { accounts[tenant] = .init(prefix: prefix) } }
        let numbers = try takeNumbers(for: drafts, accounts: accounts)
        let chosenIDs = chosen.map { $0[0] }
        try connection.executeBatch("""
            UPDATE \(schema).invoices i SET status = 'finalized', number = f.number, finalized_at = to_timestamp($3::bigint),
                due_at = to_timestamp($3::bigint) + make_interval(days => $4::int)
            FROM unnest($1::bigint[], $2::text[]) AS f(id, number) WHERE i.id = f.id
            """, columns: [chosenIDs, numbers], trailing: [String(at), String(paymentTermsDays)])
        var byID: [Int64: String] = [:]
        for (id, number) in zip(chosenIDs, numbers) { if let id = id.flatMap({ Int64($0) }), let number { byID[id] = number } }
        return byID
    }
}
