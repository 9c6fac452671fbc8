import MeterCore
import MeterPlans

/// SQL access to the plan catalog and subscriptions (migrations 6 and 8). Blocking, like every
/// `PostgresConnection` call: the daemon calls it from the plan book's own thread.
public struct PlanStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Serializes seeding across instances sharing a database: "meterd" + 6.
    static let seedLockKey: Int64 = 0x6D65_7465_7264 + 6

    /// Writes the plans `catalog` defines (config wins for them: name, prices, metrics and
    /// features are replaced), marked `source = 'config'`. Plans only in the database are left
    /// alone; so is a plan removed from the file (subscriptions may still name it).
    public func seed(_ catalog: PlanCatalog) throws {
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1::bigint)", parameters: [String(Self.seedLockKey)])
            for id in catalog.ids {
                guard let plan = catalog[id] else { continue }
                let (pricing, monthly, annual): (String, String?, String?) = switch plan.pricing {
                case .list(let monthly, let annual): ("list", monthly.description, annual.description)
                case .contract: ("contract", nil, nil)
                }
                try connection.execute("""
                    INSERT INTO \(RollupTable.schema).plans (plan_id, name, currency, pricing, monthly_price, annual_price, source, updated_at)
                    VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, 'config', now())
                    ON CONFLICT (plan_id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency,
                        pricing = EXCLUDED.pricing, monthly_price = EXCLUDED.monthly_price,
                        annual_price = EXCLUDED.annual_price, source = 'config', updated_at = now()
                    """, parameters: [plan.id, plan.name, catalog.currency, pricing, monthly, annual])
                try connection.execute("DELETE FROM \(RollupTable.schema).plan_metrics WHERE plan_id = $1", parameters: [plan.id])
                try connection.execute("DELETE FROM \(RollupTable.schema).plan_features WHERE plan_id = $1", parameters: [plan.id])
                for metric in plan.metrics.keys.sorted() {
                    guard let terms = plan.metrics[metric] else { continue }
                    let included: String? = if case .limited(let quantity) = terms.included { quantity.description } else { nil }
                    let rate = StoredRate(terms.overage)
                    try connection.execute("""
                        INSERT INTO \(RollupTable.schema).plan_metrics (plan_id, metric, included, overage_price, rate_model, package_size)
                        VALUES ($1, $2, $3::numeric, $4::numeric, $5, $6::numeric)
                        """, parameters: [plan.id, metric, included, rate.overagePrice?.description, rate.model, rate.packageSize?.description])
                    for (index, tier) in rate.tiers.enumerated() {
                        try connection.execute("""
                            INSERT INTO \(RollupTable.schema).plan_metric_tiers (plan_id, metric, tier_index, up_to, unit_price)
                            VALUES ($1, $2, $3::integer, $4::numeric, $5::numeric)
                            """, parameters: [plan.id, metric, String(index), tier.upTo?.description, tier.unitPrice.description])
                    }
                }
                for feature in plan.features.sorted() {
                    try connection.execute("INSERT INTO \(RollupTable.schema).plan_features (plan_id, feature) VALUES ($1, $2)",
                                           parameters: [plan.id, feature])
                }
            }
        }
    }

    /// The catalog and the subscription rows in force now or later, read in one snapshot
    /// (REPEATABLE READ), so a plan and its metrics never come from different commits.
    public func load() throws -> PlanBookSnapshot {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let snapshot = try loadInTransaction()
            try connection.execute("COMMIT")
            return snapshot
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func loadInTransaction() throws -> PlanBookSnapshot {
        let schema = RollupTable.schema
        var plans: [String: Plan] = [:]
        var currencies: Set<String> = []
        for row in try connection.execute("SELECT plan_id, name, currency, pricing, monthly_price, annual_price FROM \(schema).plans").rows {
            let id = row[0] ?? ""
            let pricing: Pricing
            if row[3] == "list", let monthly = row[4].flatMap(Money.init), let annual = row[5].flatMap(Money.init) {
                pricing = .list(monthly: monthly, annual: annual)
            } else if row[3] == "contract" {
                pricing = .contract
            } else {
                throw invalid("plan '\(id)' has unusable prices")
            }
            currencies.insert(row[2] ?? "")
            plans[id] = Plan(id: id, name: row[1] ?? id, pricing: pricing)
        }
        guard currencies.count <= 1 else { throw invalid("plans are priced in more than one currency: \(currencies.sorted())") }
        var tiers = try loadTiers()
        for row in try connection.execute("""
            SELECT plan_id, metric, included, overage_price, rate_model, package_size FROM \(schema).plan_metrics
            """).rows {
            let id = row[0] ?? "", metric = row[1] ?? ""
            let included: Allowance
            if let text = row[2] {
                guard let quantity = Quantity(text) else { throw invalid("plan '\(id)' metric '\(metric)': included \(text) is out of range") }
                included = .limited(quantity)
            } else {
                included = .unlimited
            }
            let overagePrice = try row[3].map { text in
                guard let money = Money(text) else { throw invalid("plan '\(id)' metric '\(metric)': overage price \(text) is out of range") }
                return money
            }
            let packageSize = try row[5].map { text in
                guard let quantity = Quantity(text) else { throw invalid("plan '\(id)' metric '\(metric)': package size \(text) is out of range") }
                return quantity
            }
            let stored = StoredRate(model: row[4] ?? "", overagePrice: overagePrice, packageSize: packageSize,
                                    tiers: tiers.removeValue(forKey: TierKey(plan: id, metric: metric)) ?? [])
            do throws(StoredRate.Unusable) {
                plans[id]?.metrics[metric] = MetricTerms(included: included, overage: try stored.rate())
            } catch {
                throw invalid("plan '\(id)' metric '\(metric)': \(error.reason)")
            }
        }
        for row in try connection.execute("SELECT plan_id, feature FROM \(schema).plan_features").rows {
            if let id = row[0], let feature = row[1] { plans[id]?.features.insert(feature) }
        }
        let subscriptions = try connection.execute("""
            SELECT tenant, plan_id, extract(epoch FROM billing_anchor)::bigint, seats,
                   extract(epoch FROM started_at)::bigint, extract(epoch FROM ended_at)::bigint,
                   cycle, extract(epoch FROM trial_ends_at)::bigint
            FROM \(schema).subscriptions WHERE ended_at IS NULL OR ended_at > now()
            """).rows.map { row in
            guard let cycle = BillingCycle(rawValue: row[6] ?? "") else {
                throw invalid("tenant '\(row[0] ?? "")': unknown billing cycle '\(row[6] ?? "")'")
            }
            return Subscription(tenant: row[0] ?? "", planID: row[1] ?? "", billingAnchor: Int64(row[2] ?? "") ?? 0,
                                seats: Int(row[3] ?? "") ?? 1, startedAt: Int64(row[4] ?? "") ?? 0,
                                endedAt: row[5].flatMap { Int64($0) }, cycle: cycle, trialEndsAt: row[7].flatMap { Int64($0) })
        }
        let catalog = PlanCatalog(currency: currencies.first ?? "USD", plans: Array(plans.values))
        return PlanBookSnapshot(catalog: catalog, subscriptions: subscriptions)
    }

    private struct TierKey: Hashable {
        var plan: String
        var metric: String
    }

    /// Every tier row, by plan and metric, in `tier_index` order (checked to run 0, 1, 2, ...).
    private func loadTiers() throws -> [TierKey: [RateTier]] {
        var tiers: [TierKey: [RateTier]] = [:]
        for row in try connection.execute("""
            SELECT plan_id, metric, tier_index, up_to, unit_price FROM \(RollupTable.schema).plan_metric_tiers
            ORDER BY plan_id, metric, tier_index
            """).rows {
            let key = TierKey(plan: row[0] ?? "", metric: row[1] ?? "")
            let what = "plan '\(key.plan)' metric '\(key.metric)'"
            let index = tiers[key]?.count ?? 0
            guard row[2] == String(index) else { throw invalid("\(what): tier_index \(row[2] ?? "NULL") where \(index) was next (indexes run 0, 1, 2, ...)") }
            let upTo = try row[3].map { text in
                guard let quantity = Quantity(text) else { throw invalid("\(what): tier up_to \(text) is out of range") }
                return quantity
            }
            guard let price = row[4].flatMap(Money.init) else { throw invalid("\(what): tier unit_price \(row[4] ?? "NULL") is out of range") }
            tiers[key, default: []].append(RateTier(upTo: upTo, unitPrice: price))
        }
        return tiers
    }

    /// Sets `tenant`'s plan from `at` (nil: the server's now): `meterd.set_subscription`.
    /// `anchor` and `seats` nil carry over from the previous row (first row: anchored at `at`, 1 seat).
    /// Times are Unix seconds (UTC). Returns the new row's id.
    @discardableResult
    public func setSubscription(tenant: String, plan: String, anchor: Int64? = nil, seats: Int? = nil, at: Int64? = nil) throws -> Int64 {
        let result = try connection.execute("""
            SELECT \(RollupTable.schema).set_subscription($1, $2, to_timestamp($3::bigint), $4::integer, coalesce(to_timestamp($5::bigint), now()))
            """, parameters: [tenant, plan, anchor.map(String.init), seats.map(String.init), at.map(String.init)])
        return Int64(result.rows.first?[0] ?? "") ?? 0
    }

    /// Ends `tenant`'s open subscription at `at` (nil: now); false when it has none.
    @discardableResult
    public func endSubscription(tenant: String, at: Int64? = nil) throws -> Bool {
        let result = try connection.execute("""
            SELECT \(RollupTable.schema).end_subscription($1, coalesce(to_timestamp($2::bigint), now()))
            """, parameters: [tenant, at.map(String.init)])
        return result.rows.first?[0] == "t"
    }

    private func invalid(_ message: String) -> PostgresError {
        PostgresError(code: .invalidInput, message: message, target: connection.redactedTarget)
    }
}
