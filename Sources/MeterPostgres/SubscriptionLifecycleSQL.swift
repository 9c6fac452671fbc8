/// Migration 9: the subscription lifecycle for billing (docs/billing.md "Subscriptions"): the
/// fee cycle and trial end on each subscription row, one billing account per tenant (status,
/// tax region, invoice prefix) and the event log of every status transition and plan, seat or
/// cycle change. Shipped statements are never edited.
///
/// The limits checked here (seats 1...1_000_000, trial days 1...365) are `SubscriptionLimits`
/// in MeterBilling; `SubscriptionStoreTests.sqlRefusesExactlyWhatTheSwiftLimitsRefuse` keeps
/// the two equal.
enum SubscriptionLifecycleSQL {
    static let s = RollupTable.schema
    static let statuses = "'trialing', 'active', 'past_due', 'canceled'"
    static let events = "'created', 'upgraded', 'downgraded', 'changed', 'activated', 'past_due', 'canceled', "
        + "'cancel_scheduled', 'unscheduled'"
    /// Tax region: ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision.
    static let regionPattern = "^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
    static let prefixPattern = "^[A-Z0-9]{2,12}$"
    static let emailPattern = "^[^@[:space:]]+@[^@[:space:]]+$"

    static let version9: [String] = tables + [
        transitionAllowed, yearlyFee, changeKind, freeInvoicePrefix, recordStatus, startAccount,
        "DROP FUNCTION \(s).set_subscription(text, text, timestamptz, integer, timestamptz)",
        setSubscription, createSubscription, changeSubscription, applyDueTransitionsOf, applyDueTransitions, cancelSubscription,
        endSubscription, unscheduleSubscription, transitionAccount, setBillingAccount, backfillAccounts,
    ]

    static let tables: [String] = [
        """
        ALTER TABLE \(s).subscriptions
            ADD COLUMN cycle text NOT NULL DEFAULT 'monthly' CHECK (cycle IN ('monthly', 'annual')),
            ADD COLUMN trial_ends_at timestamptz
        """,
        """
        CREATE TABLE \(s).billing_accounts (
            tenant         text        PRIMARY KEY,
            status         text        NOT NULL CHECK (status IN (\(statuses))),
            region         text        CHECK (region ~ '\(regionPattern)'),
            invoice_prefix text        NOT NULL UNIQUE CHECK (invoice_prefix ~ '\(prefixPattern)'),
            name           text,
            email          text        CHECK (email ~ '\(emailPattern)'),
            created_at     timestamptz NOT NULL DEFAULT now(),
            updated_at     timestamptz NOT NULL DEFAULT now()
        )
        """,
        // occurred_at: the instant the event takes effect (future for a scheduled change);
        // plan_id, seats, cycle: the subscription's terms after it.
        """
        CREATE TABLE \(s).subscription_events (
            id          bigserial   PRIMARY KEY,
            tenant      text        NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            event       text        NOT NULL CHECK (event IN (\(events))),
            from_status text        CHECK (from_status IN (\(statuses))),
            to_status   text        CHECK (to_status IN (\(statuses))),
            plan_id     text,
            seats       integer,
            cycle       text,
            detail      text
        )
        """,
        "CREATE INDEX subscription_events_by_tenant ON \(s).subscription_events (tenant, occurred_at, id)",
    ]

    /// The state machine: the only status changes `record_status` performs. canceled -> trialing
    /// or active happens only by creating a new subscription (`start_account`).
    static let transitionAllowed = """
        CREATE FUNCTION \(s).subscription_transition_allowed(p_from text, p_to text) RETURNS boolean
        LANGUAGE sql IMMUTABLE AS $$
            SELECT coalesce((p_from, p_to) IN (('trialing', 'active'), ('trialing', 'canceled'), ('active', 'past_due'),
                                                ('active', 'canceled'), ('past_due', 'active'), ('past_due', 'canceled')), false)
        $$
        """

    /// A year of the fee for comparing changes: monthly price x 12 or the annual price, times
    /// seats; NULL for a contract plan, which counts as the highest.
    static let yearlyFee = """
        CREATE FUNCTION \(s).subscription_yearly_fee(p_plan text, p_cycle text, p_seats integer) RETURNS numeric
        LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN pricing = 'contract' THEN NULL
                        WHEN p_cycle = 'annual' THEN annual_price * p_seats
                        ELSE monthly_price * 12 * p_seats END
            FROM \(s).plans WHERE plan_id = p_plan
        $$
        """

    /// 'upgraded', 'downgraded' or (same yearly fee, e.g. two contract plans) 'changed'.
    static let changeKind = """
        CREATE FUNCTION \(s).subscription_change_kind(p_old_plan text, p_old_cycle text, p_old_seats integer,
                                                      p_new_plan text, p_new_cycle text, p_new_seats integer) RETURNS text
        LANGUAGE plpgsql STABLE AS $$
        DECLARE
            v_old numeric := \(s).subscription_yearly_fee(p_old_plan, p_old_cycle, p_old_seats);
            v_new numeric := \(s).subscription_yearly_fee(p_new_plan, p_new_cycle, p_new_seats);
        BEGIN
            IF v_old IS NULL AND v_new IS NULL THEN RETURN 'changed'; END IF;
            IF v_old IS NULL THEN RETURN 'downgraded'; END IF;
            IF v_new IS NULL THEN RETURN 'upgraded'; END IF;
            RETURN CASE WHEN v_new > v_old THEN 'upgraded' WHEN v_new < v_old THEN 'downgraded' ELSE 'changed' END;
        END
        $$
        """
}
