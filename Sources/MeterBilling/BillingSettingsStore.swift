import MeterCore
public import MeterPlans
public import MeterPostgres

/// The tax rate table and coupons in PostgreSQL (migration 10; docs/billing.md "Discounts and tax").
public struct BillingSettingsStore {
    public let connection: PostgresConnection
    let schema = RollupTable.schema

    public init(connection: PostgresConnection) { self.connection = connection }

    /// How long a coupon applies once redeemed.
    public enum CouponDuration: Sendable, Hashable {
        /// The first invoice of a period ending after the redemption.
        case once
        /// That many invoices.
        case repeating(Int)
        case forever

        /// `once`, `forever`, `repeating:3`.
        public init?(_ text: String) {
            switch text {
            case "once": self = .once
            case "forever": self = .forever
            default:
                guard text.hasPrefix("repeating:"), let count = Int(text.dropFirst("repeating:".count)), (1...120).contains(count) else { return nil }
                self = .repeating(count)
            }
        }
    }

    /// Replaces the whole rate table with `rates` (the rate file is the table's source).
    public func replaceTaxRates(_ rates: [TaxRate]) throws {
        try connection.transaction {
            try connection.execute("DELETE FROM \(schema).tax_rates")
            guard !rates.isEmpty else { return }
            try connection.executeBatch("""
                INSERT INTO \(schema).tax_rates (region, name, rate_percent) SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[])
                """, columns: [rates.map(\.region), rates.map(\.name), rates.map { $0.percent.description }])
        }
    }

    public func taxRates() throws -> [TaxRate] {
        try BillingLedger(connection: connection).taxRates().values.sorted { $0.region < $1.region }
    }

    public func createCoupon(code: String, discount: Discount.Kind, duration: CouponDuration) throws {
        let (percent, amount): (String?, String?) = switch discount {
        case .percent(let percent): (percent.description, nil)
        case .amount(let money): (nil, money.description)
        }
        let (kind, periods): (String, String?) = switch duration {
        case .once: ("once", nil)
        case .repeating(let count): ("repeating", String(count))
        case .forever: ("forever", nil)
        }
        try connection.execute("""
            INSERT INTO \(schema).coupons (code, percent_off, amount_off, duration, duration_periods)
            VALUES ($1, $2::numeric, $3::numeric, $4, $5::int)
            """, parameters: [code, percent, amount, kind, periods])
    }

    /// Redeems `code` for `tenant` from `at`: it applies to invoices of periods ending after `at`.
    public func redeem(tenant: String, code: String, at: Int64) throws {
        try connection.execute("""
            INSERT INTO \(schema).coupon_redemptions (tenant, code, redeemed_at) VALUES ($1, $2, to_timestamp($3::bigint))
            """, parameters: [tenant, code, String(at)])
    }
}
