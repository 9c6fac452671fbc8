/// Migration 6: the plan catalog and the subscription history (docs/plans.md, docs/schema.md).
/// Shipped statements are never edited.
enum PlanSQL {
    static let version6: [String] = [
        """
        CREATE TABLE \(RollupTable.schema).plans (
            plan_id       text        PRIMARY KEY,
            name          text        NOT NULL,
            currency      text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            pricing       text        NOT NULL CHECK (pricing IN ('list', 'contract')),
            monthly_price numeric     CHECK (monthly_price >= 0 AND monthly_price = round(monthly_price, 6)),
            annual_price  numeric     CHECK (annual_price >= 0 AND annual_price = round(annual_price, 6)),
            source        text        NOT NULL DEFAULT 'database' CHECK (source IN ('config', 'database')),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            CHECK ((pricing = 'list') = (monthly_price IS NOT NULL AND annual_price IS NOT NULL))
        )
        """,
        // included NULL: unlimited; overage_price NULL: no overage billed.
        """
        CREATE TABLE \(RollupTable.schema).plan_metrics (
            plan_id       text    NOT NULL REFERENCES \(RollupTable.schema).plans ON DELETE CASCADE,
            metric        text    NOT NULL,
            included      numeric CHECK (included >= 0 AND included = round(included, 6)),
            overage_price numeric CHECK (overage_price >= 0 AND overage_price = round(overage_price, 6)),
            PRIMARY KEY (plan_id, metric),
            CHECK (included IS NOT NULL OR overage_price IS NULL)
        )
        """,
        """
        CREATE TABLE \(RollupTable.schema).plan_features (
            plan_id text NOT NULL REFERENCES \(RollupTable.schema).plans ON DELETE CASCADE,
            feature text NOT NULL,
            PRIMARY KEY (plan_id, feature)
        )
        """,
        // One row per plan interval of a tenant: [started_at, ended_at); ended_at NULL while open.
        """
        CREATE TABLE \(RollupTable.schema).subscriptions (
            id             bigserial   PRIMARY KEY,
            tenant         text        NOT NULL,
            plan_id        text        NOT NULL REFERENCES \(RollupTable.schema).plans,
            billing_anchor timestamptz NOT NULL,
            seats          integer     NOT NULL DEFAULT 1 CHECK (seats >= 1),
            started_at     timestamptz NOT NULL DEFAULT now(),
            ended_at       timestamptz,
            CHECK (ended_at IS NULL OR ended_at >= started_at)
        )
        """,
        """
        CREATE UNIQUE INDEX subscriptions_one_open_per_tenant
            ON \(RollupTable.schema).subscriptions (tenant) WHERE ended_at IS NULL
        """,
        """
        CREATE INDEX subscriptions_by_tenant ON \(RollupTable.schema).subscriptions (tenant, started_at)
        """,
        // Sets a tenant's plan from `p_at`: ends the open row there and opens a new one. The
        // anchor and seats carry over from the previous row unless given; a first subscription
        // is anchored at `p_at`. Times are truncated to whole seconds.
        """
        CREATE FUNCTION \(RollupTable.schema).set_subscription(
            p_tenant text, p_plan text, p_anchor timestamptz DEFAULT NULL, p_seats integer DEFAULT NULL,
            p_at timestamptz DEFAULT now()) RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            v_at timestamptz := date_trunc('second', p_at);
            v_open \(RollupTable.schema).subscriptions%ROWTYPE;
            v_id bigint;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            SELECT * INTO v_open FROM \(RollupTable.schema).subscriptions WHERE tenant = p_tenant AND ended_at IS NULL;
            IF FOUND THEN
                IF v_open.started_at > v_at THEN
                    RAISE EXCEPTION 'tenant % has a subscription starting at %, after %', p_tenant, v_open.started_at, v_at;
                END IF;
                UPDATE \(RollupTable.schema).subscriptions SET ended_at = v_at WHERE id = v_open.id;
            END IF;
            INSERT INTO \(RollupTable.schema).subscriptions (tenant, plan_id, billing_anchor, seats, started_at)
            VALUES (p_tenant, p_plan, date_trunc('second', coalesce(p_anchor, v_open.billing_anchor, v_at)),
                    coalesce(p_seats, v_open.seats, 1), v_at)
            RETURNING id INTO v_id;
            RETURN v_id;
        END
        $$
        """,
        // Ends a tenant's open subscription at `p_at`; false when it has none.
        """
        CREATE FUNCTION \(RollupTable.schema).end_subscription(p_tenant text, p_at timestamptz DEFAULT now())
        RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('meterd.subscriptions'), hashtext(p_tenant));
            UPDATE \(RollupTable.schema).subscriptions SET ended_at = date_trunc('second', p_at)
            WHERE tenant = p_tenant AND ended_at IS NULL;
            RETURN FOUND;
        END
        $$
        """,
    ]
}
