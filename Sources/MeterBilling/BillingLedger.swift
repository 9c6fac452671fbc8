import MeterCore
import MeterPlans
public import MeterPostgres

/// The billing run's reads from PostgreSQL, other than usage (docs/billing.md "Billing runs").
public struct BillingLedger {
    public let connection: PostgresConnection
    let schema = RollupTable.schema

    public init(connection: PostgresConnection) { self.connection = connection }

    /// The customer fields an invoice carries.
    public struct Account: Sendable, Hashable {
        public var prefix: String
        public var region: String?
        public var name: String?
        public var email: String?

        public init(prefix: String, region: String? = nil, name: String? = nil, email: String? = nil) {
            self.prefix = prefix
            self.region = region
            self.name = name
            self.email = email
        }
    }

    /// A coupon redeemed by a tenant, with how many invoices have used it.
    public struct Redemption: Sendable, Hashable {
        public var discount: Discount
        public var redeemedAt: Int64
        /// Invoices it may apply to; nil: forever.
        public var limit: Int?
        public var used: Int
    }

    /// Every subscription row (history included) of `tenants`, or of all tenants when nil.
    public func subscriptionRows(tenants: [String]?) throws -> [String: [SubscriptionRow]] {
        let result = try connection.execute("""
            SELECT id, tenant, plan_id, extract(epoch FROM billing_anchor)::bigint, seats, extract(epoch FROM started_at)::bigint,
                   extract(epoch FROM ended_at)::bigint, cycle, extract(epoch FROM trial_ends_at)::bigint
            FROM \(schema).subscriptions WHERE $1::text[] IS NULL OR tenant = ANY($1::text[])
            ORDER BY tenant, started_at, id
            """, parameters: [tenants.map { PostgresArrayLiteral.encode($0) }])
        var rows: [String: [SubscriptionRow]] = [:]
        for row in result.rows {
            guard let id = row[0].flatMap({ Int64($0) }), let tenant = row[1], let plan = row[2],
                  let anchor = row[3].flatMap({ Int64($0) }), let started = row[5].flatMap({ Int64($0) }) else { continue }
            let subscription = Subscription(tenant: tenant, planID: plan, billingAnchor: anchor, seats: row[4].flatMap { Int($0) } ?? 1,
                                            startedAt: started, endedAt: row[6].flatMap { Int64($0) },
                                            cycle: row[7].flatMap(BillingCycle.init(rawValue:)) ?? .monthly,
                                            trialEndsAt: row[8].flatMap { Int64($0) })
            rows[tenant, default: []].append(SubscriptionRow(id: id, subscription: subscription))
        }
        return rows
    }

    /// The end of each tenant's last invoiced period (draft invoices do not count: they are
    /// computed again).
    public func lastInvoicedEnds() throws -> [String: Int64] {
        let result = try connection.execute("""
            SELECT tenant, extract(epoch FROM max(period_end))::bigint FROM \(schema).invoices
            WHERE status <> 'draft' GROUP BY tenant
            """)
        return Dictionary(result.rows.compactMap { row in row[1].flatMap { Int64($0) }.map { (row[0] ?? "", $0) } },
                          uniquingKeysWith: max)
    }

    /// The billing accounts of `tenants` (every subscription opens one, `set_subscription`
    /// included).
    public func accounts(_ tenants: [String]) throws -> [String: Account] {
        let result = try connection.execute("""
            SELECT tenant, invoice_prefix, region, name, email FROM \(schema).billing_accounts WHERE tenant = ANY($1::text[])
            """, parameters: [PostgresArrayLiteral.encode(tenants)])
        var accounts: [String: Account] = [:]
        for row in result.rows {
            guard let tenant = row[0], let prefix = row[1] else { continue }
            accounts[tenant] = Account(prefix: prefix, region: row[2], name: row[3], email: row[4])
        }
        return accounts
    }

    /// The tax rate table by region.
    public func taxRates() throws -> [String: TaxRate] {
        var rates: [String: TaxRate] = [:]
        for row in try connection.execute("SELECT region, name, rate_percent FROM \(schema).tax_rates").rows {
            guard let region = row[0], let name = row[1], let percent = row[2].flatMap(Quantity.init) else { continue }
            rates[region] = TaxRate(region: region, name: name, percent: percent)
        }
        return rates
    }

    /// The coupons `tenants` redeemed, in redemption order, with their use so far.
    public func redemptions(_ tenants: [String]) throws -> [String: [Redemption]] {
        let result = try connection.execute("""
            SELECT r.tenant, c.code, c.percent_off, c.amount_off, c.duration, c.duration_periods,
                   extract(epoch FROM r.redeemed_at)::bigint,
                   (SELECT count(DISTINCT i.id) FROM \(schema).invoices i JOIN \(schema).invoice_lines l ON l.invoice_id = i.id
                    WHERE i.tenant = r.tenant AND i.status IN ('finalized', 'paid') AND l.kind = 'discount' AND l.coupon_code = c.code)
            FROM \(schema).coupon_redemptions r JOIN \(schema).coupons c USING (code)
            WHERE r.tenant = ANY($1::text[]) ORDER BY r.tenant, r.redeemed_at, c.code
            """, parameters: [PostgresArrayLiteral.encode(tenants)])
        var redemptions: [String: [Redemption]] = [:]
        for row in result.rows {
            guard let tenant = row[0], let code = row[1], let redeemed = row[6].flatMap({ Int64($0) }) else { continue }
            let kind: Discount.Kind
            if let percent = row[2].flatMap(Quantity.init) {
                kind = .percent(percent)
            } else if let amount = row[3].flatMap(Money.init(_:)) {
                kind = .amount(amount)
            } else {
                continue
            }
            let limit: Int? = switch row[4] {
            case "once": 1
            case "repeating": row[5].flatMap { Int($0) } ?? 1
            default: nil
            }
            redemptions[tenant, default: []].append(Redemption(discount: Discount(code: code, kind: kind), redeemedAt: redeemed,
                                                               limit: limit, used: row[7].flatMap { Int($0) } ?? 0))
        }
        return redemptions
    }

    /// Fee lines of finalized or paid invoices for the subscription rows `ids` (annual fees).
    public func chargedFees(subscriptionIDs ids: [Int64]) throws -> [ChargedFee] {
        guard !ids.isEmpty else { return [] }
        let result = try connection.execute("""
            SELECT l.subscription_id, extract(epoch FROM l.covers_from)::bigint, extract(epoch FROM l.covers_to)::bigint, l.amount
            FROM \(schema).invoice_lines l JOIN \(schema).invoices i ON i.id = l.invoice_id
            WHERE l.subscription_id = ANY($1::bigint[]) AND l.kind IN ('subscription', 'proration') AND i.status IN ('finalized', 'paid')
            ORDER BY i.period_start, i.id, l.line_no
            """, parameters: [PostgresArrayLiteral.encode(ids.map { String($0) })])
        return result.rows.compactMap { row in
            guard let id = row[0].flatMap({ Int64($0) }), let from = row[1].flatMap({ Int64($0) }), let to = row[2].flatMap({ Int64($0) }),
                  let amount = row[3].flatMap(Money.init(storedAmount:)) else { return nil }
            return ChargedFee(subscriptionID: id, from: from, to: to, amount: amount)
        }
    }

    /// The latest billed figure of every metric and period of each tenant whose usage window
    /// ends after `endsAfter` and whose period starts before `before`, from finalized or paid invoices.
    public func billedUsage(_ ranges: [(tenant: String, endsAfter: Int64, before: Int64)]) throws -> [String: [BilledUsage]] {
        guard !ranges.isEmpty else { return [:] }
        let result = try connection.executeBatch("""
            SELECT DISTINCT ON (u.tenant, u.metric, u.period_start)
                   u.tenant, u.metric, extract(epoch FROM u.period_start)::bigint, extract(epoch FROM u.period_end)::bigint,
                   extract(epoch FROM u.window_from)::bigint, extract(epoch FROM u.window_to)::bigint, u.used, u.included, u.plan_id, u.rate,
                   extract(epoch FROM u.recheck_from)::bigint, u.settled, u.kind
            FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS q(tenant, ends_after, before)
            JOIN \(schema).invoice_usage u ON u.tenant = q.tenant
                AND u.window_to > to_timestamp(q.ends_after) AND u.period_start < to_timestamp(q.before)
            JOIN \(schema).invoices i ON i.id = u.invoice_id AND i.status IN ('finalized', 'paid')
            ORDER BY u.tenant, u.metric, u.period_start, i.id DESC
            """, columns: [ranges.map(\.tenant), ranges.map { String($0.endsAfter) }, ranges.map { String($0.before) }])
        var billed: [String: [BilledUsage]] = [:]
        for row in result.rows {
            guard let tenant = row[0], let metric = row[1], let periodStart = row[2].flatMap({ Int64($0) }),
                  let periodEnd = row[3].flatMap({ Int64($0) }), let from = row[4].flatMap({ Int64($0) }), let to = row[5].flatMap({ Int64($0) }),
                  let used = row[6].flatMap({ QuantitySum(decimal: $0) }), let included = row[7].flatMap(Quantity.init),
                  let plan = row[8], let rate = row[9], let recheckFrom = row[10].flatMap({ Int64($0) }),
                  let settled = row[11].flatMap({ QuantitySum(decimal: $0) }) else { continue }
            billed[tenant, default: []].append(BilledUsage(metric: metric, periodStart: periodStart, periodEnd: periodEnd, windowFrom: from,
                                                           windowTo: to, used: used, included: included, planID: plan, rate: rate,
                                                           recheckFrom: recheckFrom, settled: settled, kind: row[12] == "g" ? .gauge : .counter))
        }
        return billed
    }
}
