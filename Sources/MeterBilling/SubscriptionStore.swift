public import MeterPlans
public import MeterPostgres

/// The subscription lifecycle in PostgreSQL (migration 9, docs/billing.md "Subscriptions"):
/// each operation is one call of a `meterd.*` SQL function, which locks the tenant, checks the
/// state machine and records the event; this type checks the limits, turns "at period end"
/// into an instant with `BillingPeriod`, and reads the results back.
///
/// Instants are Unix seconds (UTC), truncated to whole seconds by the database; `at` nil means
/// the database's now. Blocking, like every `PostgresConnection` call.
public struct SubscriptionStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    private var schema: String { RollupTable.schema }

    /// Starts a subscription at `at`, anchored at `anchor` (default: the start), with a trial of
    /// `trialDays` days (nil: none) from the start; opens the tenant's billing account (status
    /// trialing or active) or reopens a canceled one. `prefix` nil: derived from the tenant.
    /// Returns the new row's id.
    @discardableResult
    public func create(tenant: String, plan: String, cycle: BillingCycle = .monthly, seats: Int = 1, trialDays: Int? = nil,
                       anchor: Int64? = nil, at: Int64? = nil, region: String? = nil, prefix: String? = nil,
                       name: String? = nil, email: String? = nil) throws -> Int64 {
        try Self.check(seats: seats)
        if let trialDays, !SubscriptionLimits.trialDays.contains(trialDays) { throw SubscriptionError.trialDaysOutOfRange(trialDays) }
        let result = try connection.execute("""
            SELECT \(schema).create_subscription($1, $2, $3, $4::integer, $5::integer, to_timestamp($6::bigint),
                                                 coalesce(to_timestamp($7::bigint), now()), $8, $9, $10, $11)
            """, parameters: [tenant, plan, cycle.rawValue, String(seats), trialDays.map(String.init), anchor.map(String.init),
                              at.map(String.init), region, prefix, name, email])
        return Int64(result.rows.first?[0] ?? "") ?? 0
    }

    /// Changes the plan, seats and/or cycle (nil: keep) from `at`, or with `atPeriodEnd` from the
    /// end of the billing period containing `at` (a scheduled change: `unschedule` drops it).
    /// Returns the new row's id.
    @discardableResult
    public func change(tenant: String, plan: String? = nil, seats: Int? = nil, cycle: BillingCycle? = nil,
                       atPeriodEnd: Bool = false, at: Int64? = nil) throws -> Int64 {
        guard plan != nil || seats != nil || cycle != nil else { throw SubscriptionError.nothingToChange }
        if let seats { try Self.check(seats: seats) }
        let effective = atPeriodEnd ? try periodEnd(tenant: tenant, at: at) : at
        let result = try connection.execute("""
            SELECT \(schema).change_subscription($1, $2, $3::integer, $4, coalesce(to_timestamp($5::bigint), now()))
            """, parameters: [tenant, plan, seats.map(String.init), cycle?.rawValue, effective.map(String.init)])
        return Int64(result.rows.first?[0] ?? "") ?? 0
    }

    /// Cancels at `at` (canceled at once when that is not in the future), or with `atPeriodEnd`
    /// at the end of the billing period containing `at` (status stays until
    /// `applyDueTransitions` reaches it). Returns the end instant.
    @discardableResult
    public func cancel(tenant: String, atPeriodEnd: Bool = false, at: Int64? = nil, reason: String? = nil) throws -> Int64 {
        let effective = atPeriodEnd ? try periodEnd(tenant: tenant, at: at) : at
        let result = try connection.execute("""
            SELECT extract(epoch FROM \(schema).cancel_subscription($1, coalesce(to_timestamp($2::bigint), now()), $3))::bigint
            """, parameters: [tenant, effective.map(String.init), reason])
        return Int64(result.rows.first?[0] ?? "") ?? 0
    }

    /// Drops the changes and the cancel scheduled after `at`; returns how many were dropped.
    @discardableResult
    public func unschedule(tenant: String, at: Int64? = nil) throws -> Int {
        let result = try connection.execute("""
            SELECT \(schema).unschedule_subscription($1, coalesce(to_timestamp($2::bigint), now()))
            """, parameters: [tenant, at.map(String.init)])
        return Int(result.rows.first?[0] ?? "") ?? 0
    }

    /// Moves the account to `status` at `at` if the state machine allows it (billing: active
    /// -> past_due when an invoice goes unpaid, back to active when it is paid); the database
    /// refuses anything else with a message naming the allowed statuses.
    public func transition(tenant: String, to status: SubscriptionStatus, at: Int64? = nil, reason: String? = nil) throws {
        try connection.execute("""
            SELECT \(schema).transition_account($1, $2, coalesce(to_timestamp($3::bigint), now()), $4)
            """, parameters: [tenant, status.rawValue, at.map(String.init), reason])
    }

    /// Records the transitions that took effect by `now` (nil: the database's now) for every
    /// tenant, or only for `tenant`: trials ended -> active, scheduled cancels reached ->
    /// canceled. Returns how many.
    @discardableResult
    public func applyDueTransitions(now: Int64? = nil, tenant: String? = nil) throws -> Int {
        let result = try connection.execute("""
            SELECT \(schema).apply_due_transitions(coalesce(to_timestamp($1::bigint), now()), $2)
            """, parameters: [now.map(String.init), tenant])
        return Int(result.rows.first?[0] ?? "") ?? 0
    }

    /// The tenant's billing account; nil when it never had a subscription.
    public func account(tenant: String) throws -> BillingAccount? {
        let result = try connection.execute("""
            SELECT tenant, status, region, invoice_prefix, name, email,
                   extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint
            FROM \(schema).billing_accounts WHERE tenant = $1
            """, parameters: [tenant])
        guard let row = result.rows.first else { return nil }
        guard let status = row[1].flatMap(SubscriptionStatus.init(rawValue:)) else {
            throw invalid("tenant '\(tenant)': unknown status '\(row[1] ?? "")'")
        }
        return BillingAccount(tenant: row[0] ?? tenant, status: status, region: row[2], invoicePrefix: row[3] ?? "",
                              name: row[4], email: row[5], createdAt: Int64(row[6] ?? "") ?? 0, updatedAt: Int64(row[7] ?? "") ?? 0)
    }

    /// Sets the account's region, name and email (nil: keep; "": clear). `prefix` may only
    /// repeat the current one: invoice prefixes never change.
    public func setAccount(tenant: String, region: String? = nil, prefix: String? = nil, name: String? = nil,
                           email: String? = nil) throws {
        try connection.execute("SELECT \(schema).set_billing_account($1, $2, $3, $4, $5)",
                               parameters: [tenant, region, prefix, name, email])
    }

    /// Every event of the tenant, by effective instant, then by id.
    public func events(tenant: String) throws -> [SubscriptionEvent] {
        try connection.execute("""
            SELECT id, tenant, event, extract(epoch FROM occurred_at)::bigint, extract(epoch FROM recorded_at)::bigint,
                   from_status, to_status, plan_id, seats, cycle, detail
            FROM \(schema).subscription_events WHERE tenant = $1 ORDER BY occurred_at, id
            """, parameters: [tenant]).rows.map { row in
            guard let kind = row[2].flatMap(SubscriptionEvent.Kind.init(rawValue:)) else {
                throw invalid("tenant '\(tenant)': unknown event '\(row[2] ?? "")'")
            }
            return SubscriptionEvent(id: Int64(row[0] ?? "") ?? 0, tenant: row[1] ?? tenant, kind: kind,
                                     occurredAt: Int64(row[3] ?? "") ?? 0, recordedAt: Int64(row[4] ?? "") ?? 0,
                                     fromStatus: row[5].flatMap(SubscriptionStatus.init(rawValue:)),
                                     toStatus: row[6].flatMap(SubscriptionStatus.init(rawValue:)), planID: row[7],
                                     seats: row[8].flatMap { Int($0) }, cycle: row[9].flatMap(BillingCycle.init(rawValue:)),
                                     detail: row[10])
        }
    }

    /// The tenant's whole subscription history, by start.
    public func rows(tenant: String) throws -> [SubscriptionRow] {
        try connection.execute("""
            SELECT id, plan_id, extract(epoch FROM billing_anchor)::bigint, seats, extract(epoch FROM started_at)::bigint,
                   extract(epoch FROM ended_at)::bigint, cycle, extract(epoch FROM trial_ends_at)::bigint
            FROM \(schema).subscriptions WHERE tenant = $1 ORDER BY started_at, id
            """, parameters: [tenant]).rows.map { row in
            guard let cycle = row[6].flatMap(BillingCycle.init(rawValue:)) else {
                throw invalid("tenant '\(tenant)': unknown billing cycle '\(row[6] ?? "")'")
            }
            let subscription = Subscription(tenant: tenant, planID: row[1] ?? "", billingAnchor: Int64(row[2] ?? "") ?? 0,
                                            seats: Int(row[3] ?? "") ?? 1, startedAt: Int64(row[4] ?? "") ?? 0,
                                            endedAt: row[5].flatMap { Int64($0) }, cycle: cycle,
                                            trialEndsAt: row[7].flatMap { Int64($0) })
            return SubscriptionRow(id: Int64(row[0] ?? "") ?? 0, subscription: subscription)
        }
    }

    /// The database's now, in whole seconds: "now" for every default instant.
    public func now() throws -> Int64 {
        Int64(try connection.execute("SELECT extract(epoch FROM date_trunc('second', now()))::bigint").rows.first?[0] ?? "") ?? 0
    }

    /// The end of the billing period containing `at` (nil: now) of the row in force then.
    public func periodEnd(tenant: String, at: Int64? = nil) throws -> Int64 {
        let instant = try at ?? now()
        guard let row = try rows(tenant: tenant).last(where: { $0.subscription.isActive(at: instant) }) else {
            throw SubscriptionError.noSubscription(tenant: tenant, at: instant)
        }
        guard let period = row.subscription.period(at: instant) else {
            throw SubscriptionError.beforeAnchor(tenant: tenant, anchor: row.subscription.billingAnchor)
        }
        return period.end
    }

    private static func check(seats: Int) throws {
        guard SubscriptionLimits.seats.contains(seats) else { throw SubscriptionError.seatsOutOfRange(seats) }
    }

    private func invalid(_ message: String) -> PostgresError {
        PostgresError(code: .invalidInput, message: message, target: connection.redactedTarget)
    }
}
