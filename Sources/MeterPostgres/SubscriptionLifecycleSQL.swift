/// Migration 9: the subscription lifecycle for billing (docs/billing.md "Subscriptions"): the
/// fee cycle and trial end on each subscription row, one billing account per tenant (status,
/// tax region, invoice prefix) and the event log of every status transition and plan, seat or
/// cycle change. Shipped statements are never edited.
///
/// The limits checked here (seats 1...1_000_000, trial days 1...365) are `SubscriptionLimits`
/// in MeterBilling; `SubscriptionStoreTests.sqlRefusesExactlyWhatTheSwiftLimitsRefuse` keeps
/// the two equal.
enum SubscriptionLifecycleSQL {
    private static let s = RollupTable.schema
    private static let statuses = "'trialing', 'active', 'past_due', 'canceled'"
    private static let events = "'created', 'upgraded', 'downgraded', 'changed', 'activated', 'past_due', 'canceled', "
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

    /// A free prefix for accounts opened without one by the old `set_subscription` path and the
    /// migration's backfill: the tenant's letters and digits, upper-cased (padded to 2 with 0,
    /// at most 12), then 2, 3, ... in place of its last characters until it is free. Never an
    /// error, so old callers keep working.
    static let freeInvoicePrefix = """
        CREATE FUNCTION \(s).free_invoice_prefix(p_tenant text) RETURNS text
        LANGUAGE plpgsql STABLE AS $$
        DECLARE
            v_base text := left(upper(regexp_replace(p_tenant, '[^A-Za-z0-9]', '', 'g')), 12);
            v_candidate text;
            v_n integer := 1;
        BEGIN
            IF length(v_base) < 2 THEN
                v_base := rpad(v_base, 2, '0');
            END IF;
            v_candidate := v_base;
            WHILE EXISTS (SELECT 1 FROM \(s).billing_accounts WHERE invoice_prefix = v_candidate) LOOP
                v_n := v_n + 1;
                v_candidate := left(v_base, 12 - length(v_n::text)) || v_n::text;
            END LOOP;
            RETURN v_candidate;
        END
        $$
        """

    /// Moves an account along the state machine and records the event with the terms in force
    /// at `p_at`; refuses what the state machine does not allow.
    static let recordStatus = """
        CREATE FUNCTION \(s).record_status(p_tenant text, p_to text, p_at timestamptz, p_event text, p_detail text)
        RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            v_from text;
            v_allowed text;
            v_row \(s).subscriptions%ROWTYPE;
        BEGIN
            SELECT status INTO v_from FROM \(s).billing_accounts WHERE tenant = p_tenant FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'tenant % has no billing account: create a subscription first', p_tenant;
            END IF;
            IF NOT \(s).subscription_transition_allowed(v_from, p_to) THEN
                SELECT string_agg(t, ', ') INTO v_allowed FROM unnest(ARRAY[\(statuses)]) AS t
                WHERE \(s).subscription_transition_allowed(v_from, t);
                RAISE EXCEPTION 'tenant %: status % cannot change to % (allowed from %: %)', p_tenant, v_from, p_to, v_from,
                    coalesce(v_allowed, 'none; a new subscription starts it again');
            END IF;
            SELECT * INTO v_row FROM \(s).subscriptions WHERE tenant = p_tenant AND started_at <= p_at
            ORDER BY started_at DESC, id DESC LIMIT 1;
            UPDATE \(s).billing_accounts SET status = p_to, updated_at = now() WHERE tenant = p_tenant;
            INSERT INTO \(s).subscription_events (tenant, occurred_at, event, from_status, to_status, plan_id, seats, cycle, detail)
            VALUES (p_tenant, p_at, p_event, v_from, p_to, v_row.plan_id, v_row.seats, v_row.cycle, p_detail);
        END
        $$
        """

    /// Opens (or reopens, from canceled) a tenant's account for a new subscription starting at
    /// `p_at` and records 'created'. `p_prefix` NULL: derived from the tenant when `p_strict`
    /// (a clash or unusable tenant is an error asking for one), else `free_invoice_prefix`.
    static let startAccount = """
        CREATE FUNCTION \(s).start_account(p_tenant text, p_status text, p_at timestamptz, p_region text, p_prefix text,
                                           p_name text, p_email text, p_strict boolean, p_detail text)
        RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            v_account \(s).billing_accounts%ROWTYPE;
            v_prefix text;
            v_owner text;
            v_row \(s).subscriptions%ROWTYPE;
        BEGIN
            IF p_region IS NOT NULL AND p_region !~ '\(regionPattern)' THEN
                RAISE EXCEPTION 'region must be an ISO 3166 code such as DE or US-CA, got ''%''', p_region;
            END IF;
            IF p_email IS NOT NULL AND p_email !~ '\(emailPattern)' THEN
                RAISE EXCEPTION 'email must look like name@domain, got ''%''', p_email;
            END IF;
            SELECT * INTO v_account FROM \(s).billing_accounts WHERE tenant = p_tenant FOR UPDATE;
            IF FOUND THEN
                IF v_account.status <> 'canceled' THEN
                    RAISE EXCEPTION 'tenant % is % without a subscription in force; cancel it first', p_tenant, v_account.status;
                END IF;
                IF p_prefix IS NOT NULL AND p_prefix <> v_account.invoice_prefix THEN
                    RAISE EXCEPTION 'tenant % has invoice prefix %, which never changes (invoice numbers are never reused)',
                        p_tenant, v_account.invoice_prefix;
                END IF;
                UPDATE \(s).billing_accounts SET status = p_status, region = coalesce(p_region, region),
                    name = coalesce(p_name, name), email = coalesce(p_email, email), updated_at = now()
                WHERE tenant = p_tenant;
            ELSE
                IF p_prefix IS NOT NULL THEN
                    v_prefix := p_prefix;
                ELSIF p_strict THEN
                    v_prefix := left(upper(regexp_replace(p_tenant, '[^A-Za-z0-9]', '', 'g')), 12);
                ELSE
                    v_prefix := \(s).free_invoice_prefix(p_tenant);
                END IF;
                IF v_prefix !~ '\(prefixPattern)' THEN
                    RAISE EXCEPTION 'invoice prefix must be 2 to 12 upper-case letters or digits, got ''%''%', v_prefix,
                        CASE WHEN p_prefix IS NULL THEN ' (derived from the tenant): give one' ELSE '' END;
                END IF;
                SELECT tenant INTO v_owner FROM \(s).billing_accounts WHERE invoice_prefix = v_prefix;
                IF FOUND THEN
                    RAISE EXCEPTION 'invoice prefix % is taken by tenant %: give another one', v_prefix, v_owner;
                END IF;
                INSERT INTO \(s).billing_accounts (tenant, status, region, invoice_prefix, name, email)
                VALUES (p_tenant, p_status, p_region, v_prefix, p_name, p_email);
            END IF;
            SELECT * INTO v_row FROM \(s).subscriptions WHERE tenant = p_tenant AND started_at = p_at AND ended_at IS NULL;
            INSERT INTO \(s).subscription_events (tenant, occurred_at, event, from_status, to_status, plan_id, seats, cycle, detail)
            VALUES (p_tenant, p_at, 'created', v_account.status, p_status, v_row.plan_id, v_row.seats, v_row.cycle, p_detail);
        END
        $$
        """

    /// Sets a tenant's plan from `p_at` (migration 6's function, now carrying the cycle and the
    /// trial end forward too, and recording the change): ends the open row there and opens a new
    /// one. A tenant without a row in force opens a new subscription (account 'active', or
    /// 'trialing' when `p_trial_ends_at` is later than `p_at`). Times are truncated to seconds.
    static let setSubscription = """
        CREATE FUNCTION \(s).set_subscription(
            p_tenant text, p_plan text, p_anchor timestamptz DEFAULT NULL, p_seats integer DEFAULT NULL,
            p_at timestamptz DEFAULT now(), p_cycle text DEFAULT NULL, p_trial_ends_at timestamptz DEFAULT NULL) RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            v_at timestamptz := date_trunc('second', p_at);
            v_open \(s).subscriptions%ROWTYPE;
            v_new \(s).subscriptions%ROWTYPE;
            v_until timestamptz;
            v_detail text;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            IF p_cycle IS NOT NULL AND p_cycle NOT IN ('monthly', 'annual') THEN
                RAISE EXCEPTION 'cycle must be monthly or annual, got ''%''', p_cycle;
            END IF;
            IF p_seats IS NOT NULL AND (p_seats < 1 OR p_seats > 1000000) THEN
                RAISE EXCEPTION 'seats must be between 1 and 1000000, got %', p_seats;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM \(s).plans WHERE plan_id = p_plan) THEN
                RAISE EXCEPTION 'unknown plan ''%''', p_plan;
            END IF;
            SELECT * INTO v_open FROM \(s).subscriptions WHERE tenant = p_tenant AND ended_at IS NULL;
            IF FOUND THEN
                IF v_open.started_at > v_at THEN
                    RAISE EXCEPTION 'tenant % has a subscription starting at %, after %: unschedule it or give a later instant',
                        p_tenant, v_open.started_at, v_at;
                END IF;
                UPDATE \(s).subscriptions SET ended_at = v_at WHERE id = v_open.id;
            ELSE
                SELECT max(ended_at) INTO v_until FROM \(s).subscriptions WHERE tenant = p_tenant;
                IF v_until > v_at THEN
                    RAISE EXCEPTION 'tenant % has a subscription until %: unschedule its cancel or start at or after it',
                        p_tenant, v_until;
                END IF;
                PERFORM \(s).apply_due_transitions(least(v_at, now()), p_tenant);
            END IF;
            INSERT INTO \(s).subscriptions (tenant, plan_id, billing_anchor, seats, started_at, cycle, trial_ends_at)
            VALUES (p_tenant, p_plan, date_trunc('second', coalesce(p_anchor, v_open.billing_anchor, v_at)),
                    coalesce(p_seats, v_open.seats, 1), v_at, coalesce(p_cycle, v_open.cycle, 'monthly'),
                    date_trunc('second', coalesce(p_trial_ends_at, v_open.trial_ends_at)))
            RETURNING * INTO v_new;
            IF v_open.id IS NULL THEN
                PERFORM \(s).start_account(p_tenant, CASE WHEN v_new.trial_ends_at > v_at THEN 'trialing' ELSE 'active' END,
                                           v_at, NULL, NULL, NULL, NULL, false, NULL);
            ELSE
                v_detail := concat_ws(', ',
                    CASE WHEN v_open.plan_id <> v_new.plan_id THEN format('plan %s -> %s', v_open.plan_id, v_new.plan_id) END,
                    CASE WHEN v_open.seats <> v_new.seats THEN format('seats %s -> %s', v_open.seats, v_new.seats) END,
                    CASE WHEN v_open.cycle <> v_new.cycle THEN format('cycle %s -> %s', v_open.cycle, v_new.cycle) END,
                    CASE WHEN v_open.billing_anchor <> v_new.billing_anchor THEN 'new anchor' END);
                INSERT INTO \(s).subscription_events (tenant, occurred_at, event, plan_id, seats, cycle, detail)
                VALUES (p_tenant, v_at, \(s).subscription_change_kind(v_open.plan_id, v_open.cycle, v_open.seats,
                                                                       v_new.plan_id, v_new.cycle, v_new.seats),
                        v_new.plan_id, v_new.seats, v_new.cycle, nullif(v_detail, ''));
            END IF;
            RETURN v_new.id;
        END
        $$
        """

    /// A new subscription from `p_at` (default now), anchored there unless `p_anchor` is given,
    /// with an optional trial of `p_trial_days` days; opens or reopens the billing account.
    static let createSubscription = """
        CREATE FUNCTION \(s).create_subscription(
            p_tenant text, p_plan text, p_cycle text DEFAULT 'monthly', p_seats integer DEFAULT 1,
            p_trial_days integer DEFAULT NULL, p_anchor timestamptz DEFAULT NULL, p_at timestamptz DEFAULT now(),
            p_region text DEFAULT NULL, p_prefix text DEFAULT NULL, p_name text DEFAULT NULL, p_email text DEFAULT NULL)
        RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            v_at timestamptz := date_trunc('second', p_at);
            v_trial_ends_at timestamptz;
            v_id bigint;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            IF p_trial_days IS NOT NULL AND (p_trial_days < 1 OR p_trial_days > 365) THEN
                RAISE EXCEPTION 'trial days must be between 1 and 365 (standard trials: 14, 30), got %', p_trial_days;
            END IF;
            IF p_cycle IS NULL OR p_cycle NOT IN ('monthly', 'annual') THEN
                RAISE EXCEPTION 'cycle must be monthly or annual, got ''%''', p_cycle;
            END IF;
            IF p_seats IS NULL OR p_seats < 1 OR p_seats > 1000000 THEN
                RAISE EXCEPTION 'seats must be between 1 and 1000000, got %', p_seats;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM \(s).plans WHERE plan_id = p_plan) THEN
                RAISE EXCEPTION 'unknown plan ''%''', p_plan;
            END IF;
            IF EXISTS (SELECT 1 FROM \(s).subscriptions WHERE tenant = p_tenant AND (ended_at IS NULL OR ended_at > v_at)) THEN
                RAISE EXCEPTION 'tenant % already has a subscription: change it, or cancel it first', p_tenant;
            END IF;
            PERFORM \(s).apply_due_transitions(least(v_at, now()), p_tenant);
            v_trial_ends_at := v_at + make_interval(days => p_trial_days);
            INSERT INTO \(s).subscriptions (tenant, plan_id, billing_anchor, seats, started_at, cycle, trial_ends_at)
            VALUES (p_tenant, p_plan, date_trunc('second', coalesce(p_anchor, v_at)), p_seats, v_at, p_cycle, v_trial_ends_at)
            RETURNING id INTO v_id;
            PERFORM \(s).start_account(p_tenant, CASE WHEN v_trial_ends_at IS NULL THEN 'active' ELSE 'trialing' END, v_at,
                                       p_region, p_prefix, p_name, p_email, true,
                                       CASE WHEN p_trial_days IS NULL THEN NULL ELSE format('trial of %s days', p_trial_days) END);
            RETURN v_id;
        END
        $$
        """

    /// Changes plan, seats and/or cycle (NULL: keep) of the open subscription from `p_at`
    /// (future: scheduled; `unschedule_subscription` drops it).
    static let changeSubscription = """
        CREATE FUNCTION \(s).change_subscription(
            p_tenant text, p_plan text DEFAULT NULL, p_seats integer DEFAULT NULL, p_cycle text DEFAULT NULL,
            p_at timestamptz DEFAULT now()) RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            v_open \(s).subscriptions%ROWTYPE;
            v_until timestamptz;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            SELECT * INTO v_open FROM \(s).subscriptions WHERE tenant = p_tenant AND ended_at IS NULL;
            IF NOT FOUND THEN
                SELECT max(ended_at) INTO v_until FROM \(s).subscriptions WHERE tenant = p_tenant;
                IF v_until > now() THEN
                    RAISE EXCEPTION 'tenant % has a cancel scheduled at %: unschedule it first', p_tenant, v_until;
                END IF;
                RAISE EXCEPTION 'tenant % has no subscription in force: create one', p_tenant;
            END IF;
            IF coalesce(p_plan, v_open.plan_id) = v_open.plan_id AND coalesce(p_seats, v_open.seats) = v_open.seats
               AND coalesce(p_cycle, v_open.cycle) = v_open.cycle THEN
                RAISE EXCEPTION 'nothing to change: tenant % is on % (%, % seats)', p_tenant, v_open.plan_id, v_open.cycle, v_open.seats;
            END IF;
            RETURN \(s).set_subscription(p_tenant, coalesce(p_plan, v_open.plan_id), NULL, p_seats, p_at, p_cycle, NULL);
        END
        $$
        """

    /// One tenant's due transitions by `p_now`, by index lookups only (the single-tenant
    /// callers run it per call): a trial that ended -> active at its end, then a cancel reached
    /// -> canceled at the row's end. Returns how many it recorded; each is recorded once.
    static let applyDueTransitionsOf = """
        CREATE FUNCTION \(s).apply_due_transitions_of(p_tenant text, p_now timestamptz) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            v_status text;
            v_row \(s).subscriptions%ROWTYPE;
            v_count integer := 0;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            SELECT status INTO v_status FROM \(s).billing_accounts WHERE tenant = p_tenant;
            IF NOT FOUND OR v_status = 'canceled' THEN
                RETURN 0;
            END IF;
            -- Trials first: a trial that ended before a cancel is recorded before it.
            IF v_status = 'trialing' THEN
                SELECT * INTO v_row FROM \(s).subscriptions WHERE tenant = p_tenant AND started_at <= p_now
                ORDER BY started_at DESC, id DESC LIMIT 1;
                IF v_row.trial_ends_at <= p_now AND (v_row.ended_at IS NULL OR v_row.trial_ends_at < v_row.ended_at) THEN
                    PERFORM \(s).record_status(p_tenant, 'active', v_row.trial_ends_at, 'activated', 'trial ended');
                    v_count := v_count + 1;
                END IF;
            END IF;
            SELECT * INTO v_row FROM \(s).subscriptions WHERE tenant = p_tenant ORDER BY started_at DESC, id DESC LIMIT 1;
            IF v_row.ended_at <= p_now THEN
                PERFORM \(s).record_status(p_tenant, 'canceled', v_row.ended_at, 'canceled', 'scheduled cancel reached');
                v_count := v_count + 1;
            END IF;
            RETURN v_count;
        END
        $$
        """

    /// Records what took effect by `p_now` for one tenant, or for every tenant when `p_tenant`
    /// is NULL (a billing run): the tenants that may have something due (a trial end passed,
    /// or no row in force after `p_now`), in tenant order, each by `apply_due_transitions_of`.
    /// Returns the number of transitions recorded.
    static let applyDueTransitions = """
        CREATE FUNCTION \(s).apply_due_transitions(p_now timestamptz DEFAULT now(), p_tenant text DEFAULT NULL) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            v_count integer := 0;
            v_tenant text;
        BEGIN
            IF p_tenant IS NOT NULL THEN
                RETURN \(s).apply_due_transitions_of(p_tenant, p_now);
            END IF;
            FOR v_tenant IN
                SELECT a.tenant FROM \(s).billing_accounts a
                WHERE (a.status = 'trialing'
                       AND EXISTS (SELECT 1 FROM \(s).subscriptions s WHERE s.tenant = a.tenant AND s.trial_ends_at <= p_now))
                   OR (a.status <> 'canceled'
                       AND NOT EXISTS (SELECT 1 FROM \(s).subscriptions s WHERE s.tenant = a.tenant
                                       AND (s.ended_at IS NULL OR s.ended_at > p_now)))
                ORDER BY a.tenant
            LOOP
                v_count := v_count + \(s).apply_due_transitions_of(v_tenant, p_now);
            END LOOP;
            RETURN v_count;
        END
        $$
        """

    /// Ends the subscription in force at `p_at`: canceled now when `p_at` is not in the future,
    /// else scheduled ('cancel_scheduled'; `apply_due_transitions` records 'canceled' at `p_at`).
    /// Returns the end instant.
    static let cancelSubscription = """
        CREATE FUNCTION \(s).cancel_subscription(p_tenant text, p_at timestamptz DEFAULT now(), p_reason text DEFAULT NULL)
        RETURNS timestamptz
        LANGUAGE plpgsql AS $$
        DECLARE
            v_at timestamptz := date_trunc('second', p_at);
            v_row \(s).subscriptions%ROWTYPE;
            v_later timestamptz;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            SELECT * INTO v_row FROM \(s).subscriptions
            WHERE tenant = p_tenant AND started_at <= v_at AND (ended_at IS NULL OR ended_at > v_at);
            IF NOT FOUND THEN
                RAISE EXCEPTION 'tenant % has no subscription in force at %', p_tenant, v_at;
            END IF;
            SELECT min(started_at) INTO v_later FROM \(s).subscriptions WHERE tenant = p_tenant AND started_at > v_at;
            IF v_later IS NOT NULL THEN
                RAISE EXCEPTION 'tenant % has a change scheduled at %, after %: unschedule it first', p_tenant, v_later, v_at;
            END IF;
            -- A trial that ended before the cancel is recorded first (before the row ends, so
            -- the cancel itself is not mistaken for a due one).
            PERFORM \(s).apply_due_transitions(least(v_at, now()), p_tenant);
            UPDATE \(s).subscriptions SET ended_at = v_at WHERE id = v_row.id;
            IF v_at <= now() THEN
                PERFORM \(s).record_status(p_tenant, 'canceled', v_at, 'canceled', coalesce(p_reason, 'canceled'));
            ELSE
                INSERT INTO \(s).subscription_events (tenant, occurred_at, event, plan_id, seats, cycle, detail)
                VALUES (p_tenant, v_at, 'cancel_scheduled', v_row.plan_id, v_row.seats, v_row.cycle, p_reason);
            END IF;
            RETURN v_at;
        END
        $$
        """

    /// Migration 6's `end_subscription`, now a cancel (so the account and the log follow):
    /// false when the tenant has no open row.
    static let endSubscription = """
        CREATE OR REPLACE FUNCTION \(s).end_subscription(p_tenant text, p_at timestamptz DEFAULT now())
        RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            IF NOT EXISTS (SELECT 1 FROM \(s).subscriptions WHERE tenant = p_tenant AND ended_at IS NULL) THEN
                RETURN false;
            END IF;
            PERFORM \(s).cancel_subscription(p_tenant, p_at, 'ended');
            RETURN true;
        END
        $$
        """

    /// Drops what is scheduled after `p_at`: future rows (changes) and a future end (cancel);
    /// the row in force at `p_at` is open again. The dropped events, which never took effect,
    /// leave the log; 'unscheduled' records what they were. Returns how many were dropped.
    static let unscheduleSubscription = """
        CREATE FUNCTION \(s).unschedule_subscription(p_tenant text, p_at timestamptz DEFAULT now()) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            v_at timestamptz := date_trunc('second', p_at);
            v_row \(s).subscriptions%ROWTYPE;
            v_dropped text;
            v_count integer;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            SELECT * INTO v_row FROM \(s).subscriptions
            WHERE tenant = p_tenant AND started_at <= v_at AND (ended_at IS NULL OR ended_at > v_at);
            IF NOT FOUND OR v_row.ended_at IS NULL
               OR (SELECT status FROM \(s).billing_accounts WHERE tenant = p_tenant) = 'canceled' THEN
                RAISE EXCEPTION 'tenant % has no change or cancel scheduled after %', p_tenant, v_at;
            END IF;
            SELECT string_agg(format('%s at %s (%s)', event, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                     coalesce(detail, plan_id)), '; ' ORDER BY occurred_at, id), count(*)
            INTO v_dropped, v_count
            FROM \(s).subscription_events WHERE tenant = p_tenant AND occurred_at > v_at
              AND event IN ('upgraded', 'downgraded', 'changed', 'cancel_scheduled');
            DELETE FROM \(s).subscription_events WHERE tenant = p_tenant AND occurred_at > v_at
              AND event IN ('upgraded', 'downgraded', 'changed', 'cancel_scheduled');
            DELETE FROM \(s).subscriptions WHERE tenant = p_tenant AND started_at > v_at;
            UPDATE \(s).subscriptions SET ended_at = NULL WHERE id = v_row.id;
            INSERT INTO \(s).subscription_events (tenant, occurred_at, event, plan_id, seats, cycle, detail)
            VALUES (p_tenant, v_at, 'unscheduled', v_row.plan_id, v_row.seats, v_row.cycle, 'dropped ' || v_dropped);
            RETURN v_count;
        END
        $$
        """

    /// The checked status transition billing uses (active <-> past_due as invoices go unpaid
    /// and get paid). Records due transitions first, so a trial that already ended is active.
    /// To canceled: cancels the subscription at `p_at`. To active from trialing: the trial ends
    /// at `p_at`. To trialing: refused (only a new subscription starts a trial).
    static let transitionAccount = """
        CREATE FUNCTION \(s).transition_account(p_tenant text, p_to text, p_at timestamptz DEFAULT now(),
                                                p_reason text DEFAULT NULL) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            v_at timestamptz := date_trunc('second', p_at);
            v_from text;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            IF p_to IS NULL OR p_to NOT IN (\(statuses)) THEN
                RAISE EXCEPTION 'unknown status ''%'': one of trialing, active, past_due, canceled', p_to;
            END IF;
            PERFORM \(s).apply_due_transitions(least(v_at, now()), p_tenant);
            SELECT status INTO v_from FROM \(s).billing_accounts WHERE tenant = p_tenant;
            IF p_to = 'canceled' AND v_from <> 'canceled' THEN
                PERFORM \(s).cancel_subscription(p_tenant, v_at, p_reason);
                RETURN;
            END IF;
            IF p_to = 'active' AND v_from = 'trialing' THEN
                UPDATE \(s).subscriptions SET trial_ends_at = v_at WHERE tenant = p_tenant AND trial_ends_at > v_at;
            END IF;
            PERFORM \(s).record_status(p_tenant, p_to, v_at, CASE p_to WHEN 'active' THEN 'activated' ELSE p_to END, p_reason);
        END
        $$
        """

    /// Sets an account's region, name and email (NULL: keep; '': clear). The invoice prefix is
    /// fixed once the account exists: giving a different one is an error.
    static let setBillingAccount = """
        CREATE FUNCTION \(s).set_billing_account(p_tenant text, p_region text DEFAULT NULL, p_prefix text DEFAULT NULL,
                                                 p_name text DEFAULT NULL, p_email text DEFAULT NULL) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            v_account \(s).billing_accounts%ROWTYPE;
        BEGIN
            SELECT * INTO v_account FROM \(s).billing_accounts WHERE tenant = p_tenant FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'tenant % has no billing account: create a subscription first', p_tenant;
            END IF;
            IF p_prefix IS NOT NULL AND p_prefix <> v_account.invoice_prefix THEN
                RAISE EXCEPTION 'tenant % has invoice prefix %, which never changes (invoice numbers are never reused)',
                    p_tenant, v_account.invoice_prefix;
            END IF;
            IF nullif(p_region, '') !~ '\(regionPattern)' THEN
                RAISE EXCEPTION 'region must be an ISO 3166 code such as DE or US-CA, got ''%''', p_region;
            END IF;
            IF nullif(p_email, '') !~ '\(emailPattern)' THEN
                RAISE EXCEPTION 'email must look like name@domain, got ''%''', p_email;
            END IF;
            UPDATE \(s).billing_accounts SET
                region = CASE WHEN p_region IS NULL THEN region ELSE nullif(p_region, '') END,
                name = CASE WHEN p_name IS NULL THEN name ELSE nullif(p_name, '') END,
                email = CASE WHEN p_email IS NULL THEN email ELSE nullif(p_email, '') END,
                updated_at = now()
            WHERE tenant = p_tenant;
        END
        $$
        """

    /// Accounts for tenants subscribed before this migration: active while a row is in force
    /// or scheduled, else canceled; prefix from `free_invoice_prefix`. No events (their history
    /// predates the log).
    static let backfillAccounts = """
        DO $$
        DECLARE
            v_tenant text;
        BEGIN
            FOR v_tenant IN SELECT DISTINCT tenant COLLATE "C" FROM \(s).subscriptions ORDER BY 1 LOOP
                INSERT INTO \(s).billing_accounts (tenant, status, invoice_prefix)
                VALUES (v_tenant,
                        CASE WHEN EXISTS (SELECT 1 FROM \(s).subscriptions WHERE tenant = v_tenant
                                          AND (ended_at IS NULL OR ended_at > now())) THEN 'active' ELSE 'canceled' END,
                        \(s).free_invoice_prefix(v_tenant));
            END LOOP;
        END
        $$
        """
}
