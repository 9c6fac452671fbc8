/// Migration 9, continued: billing accounts and status transitions (docs/billing.md
/// "Subscriptions": the state machine, billing accounts).
extension SubscriptionLifecycleSQL {
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
