/// Migration 9, continued: the operations on subscription rows (docs/billing.md
/// "Subscriptions": operations).
extension SubscriptionLifecycleSQL {
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
}
