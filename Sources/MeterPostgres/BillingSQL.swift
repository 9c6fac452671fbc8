import MeterCore

/// Migration 10: invoices, their lines and sources, billed usage, numbering, credit notes,
/// coupons and the tax rate table (docs/billing.md). Shipped statements are never edited.
enum BillingSQL {
    static let schema = RollupTable.schema

    /// An exact amount: at most 6 fractional digits.
    static func exact(_ column: String) -> String { "\(column) = round(\(column), 6)" }

    static let version10: [String] = [
        // The usage of a billing window is read per tenant and bucket range.
        "CREATE INDEX usage_hourly_by_tenant_bucket ON \(RollupTable.name(.hour)) (tenant, bucket)",
        "CREATE INDEX usage_daily_by_tenant_bucket ON \(RollupTable.name(.day)) (tenant, bucket)",
        """
        CREATE TABLE \(schema).tax_rates (
            region       text        PRIMARY KEY CHECK (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
            name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
            rate_percent numeric     NOT NULL CHECK (rate_percent >= 0 AND rate_percent < 100 AND \(exact("rate_percent"))),
            updated_at   timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE \(schema).coupons (
            code             text        PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,63}$'),
            percent_off      numeric     CHECK (percent_off > 0 AND percent_off <= 100 AND \(exact("percent_off"))),
            amount_off       numeric     CHECK (amount_off > 0 AND \(exact("amount_off"))),
            duration         text        NOT NULL CHECK (duration IN ('once', 'repeating', 'forever')),
            duration_periods integer     CHECK (duration_periods BETWEEN 1 AND 120),
            created_at       timestamptz NOT NULL DEFAULT now(),
            CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
            CHECK ((duration = 'repeating') = (duration_periods IS NOT NULL))
        )
        """,
        // A coupon applies to the invoices of periods starting at or after redeemed_at.
        """
        CREATE TABLE \(schema).coupon_redemptions (
            tenant      text        NOT NULL,
            code        text        NOT NULL REFERENCES \(schema).coupons,
            redeemed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant, code)
        )
        """,
        // One invoice per tenant and billing period, ever: a billing run never makes a second.
        """
        CREATE TABLE \(schema).invoices (
            id             bigserial   PRIMARY KEY,
            tenant         text        NOT NULL,
            period_start   timestamptz NOT NULL,
            period_end     timestamptz NOT NULL CHECK (period_end > period_start),
            status         text        NOT NULL CHECK (status IN ('draft', 'finalized', 'paid', 'void')),
            number         text        UNIQUE,
            currency       text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            subtotal       numeric     NOT NULL,
            discount_total numeric     NOT NULL CHECK (discount_total <= 0),
            tax_total      numeric     NOT NULL,
            total          numeric     NOT NULL,
            region         text,
            created_at     timestamptz NOT NULL DEFAULT now(),
            finalized_at   timestamptz,
            due_at         timestamptz,
            paid_at        timestamptz,
            voided_at      timestamptz,
            void_reason    text,
            UNIQUE (tenant, period_start),
            CHECK ((status = 'draft') = (number IS NULL)),
            CHECK ((status = 'draft') = (finalized_at IS NULL)),
            CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
            CHECK ((status = 'void') = (voided_at IS NOT NULL)),
            CHECK (total = subtotal + discount_total + tax_total)
        )
        """,
        """
        CREATE TABLE \(schema).invoice_lines (
            invoice_id      bigint  NOT NULL,
            line_no         integer NOT NULL,
            kind            text    NOT NULL CHECK (kind IN ('subscription', 'proration', 'overage', 'adjustment', 'discount', 'tax')),
            description     text    NOT NULL,
            quantity        numeric,
            unit_price      numeric,
            amount          numeric NOT NULL,
            covers_from     timestamptz,
            covers_to       timestamptz,
            metric          text,
            plan_id         text,
            subscription_id bigint,
            coupon_code     text,
            -- The rollup rows the line was computed from (docs/billing.md "Tracing a line"):
            -- [{"grain": "day", "type": "c", "from": "2026-03-02T00:00:00Z", "to": "...", "rows": "30", "quantity": "1250"}]
            sources         jsonb   NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sources) = 'array'),
            PRIMARY KEY (invoice_id, line_no)
        )
        """,
        "CREATE INDEX invoice_lines_by_subscription ON \(schema).invoice_lines (subscription_id) WHERE subscription_id IS NOT NULL",
        // What each invoice billed of each metric and period; the latest row per (tenant,
        // metric, period_start) is what late usage is compared with.
        """
        CREATE TABLE \(schema).invoice_usage (
            invoice_id   bigint      NOT NULL,
            tenant       text        NOT NULL,
            metric       text        NOT NULL,
            period_start timestamptz NOT NULL,
            period_end   timestamptz NOT NULL,
            window_from  timestamptz NOT NULL,
            window_to    timestamptz NOT NULL,
            used         numeric     NOT NULL,
            included     numeric     NOT NULL,
            plan_id      text        NOT NULL,
            rate         text        NOT NULL,
            -- Late usage is looked for in [recheck_from, window_to) only; settled is the usage
            -- before it, final when invoiced; kind says how they combine (c: add, g: larger).
            recheck_from timestamptz NOT NULL,
            settled      numeric     NOT NULL,
            kind         text        NOT NULL CHECK (kind IN ('c', 'g')),
            PRIMARY KEY (invoice_id, metric, period_start)
        )
        """,
        "CREATE INDEX invoice_usage_by_tenant_period ON \(schema).invoice_usage (tenant, period_start)",
        // Overdue candidates: finalized invoices by due date.
        "CREATE INDEX invoices_open_by_due ON \(schema).invoices (due_at) WHERE status = 'finalized'",
        // Gap-free numbers: the counter moves in the finalizing transaction, so a rollback
        // takes the number back with it.
        """
        CREATE TABLE \(schema).invoice_sequences (
            prefix      text   PRIMARY KEY,
            last_number bigint NOT NULL DEFAULT 0 CHECK (last_number >= 0)
        )
        """,
        """
        CREATE TABLE \(schema).credit_notes (
            id         bigserial   PRIMARY KEY,
            tenant     text        NOT NULL,
            number     text        NOT NULL UNIQUE,
            invoice_id bigint      NOT NULL REFERENCES \(schema).invoices,
            amount     numeric     NOT NULL CHECK (amount > 0 AND \(exact("amount"))),
            reason     text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        // A finalized invoice is never edited: its lines are frozen and only its status moves on
        // (finalized -> paid | void). Corrections are credit notes and adjustments.
        // invoice_lines and invoice_usage point at their invoice without a foreign key: a run
        // inserts tens of thousands of them, and a foreign key checks each row on its own
        // (measured: a third of a run's writes). The triggers below do the same checks once per
        // statement (the invoice exists; is a draft or was finalized by this very transaction),
        // and deleting a draft deletes its rows, as ON DELETE CASCADE would.
        """
        CREATE FUNCTION \(schema).invoice_lines_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_invoice bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
            v_status text;
        BEGIN
            SELECT status INTO v_status FROM \(schema).invoices WHERE id = v_invoice;
            IF TG_OP = 'UPDATE' AND v_status IS NULL THEN
                RAISE EXCEPTION 'invoice % does not exist', v_invoice USING ERRCODE = 'foreign_key_violation';
            END IF;
            IF v_status IS DISTINCT FROM 'draft' AND v_status IS NOT NULL THEN
                RAISE EXCEPTION 'invoice % is %: its lines cannot change', v_invoice, v_status USING ERRCODE = 'check_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END
        $$
        """,
        """
        CREATE TRIGGER invoice_lines_frozen BEFORE UPDATE OR DELETE ON \(schema).invoice_lines
        FOR EACH ROW EXECUTE FUNCTION \(schema).invoice_lines_frozen()
        """,
        """
        CREATE FUNCTION \(schema).invoice_lines_insert_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_invoice bigint;
            v_status text;
        BEGIN
            -- An invoice finalized in this same transaction (a billing run inserts it finalized,
            -- then its lines) is still open to them until it commits.
            SELECT n.invoice_id, i.status INTO v_invoice, v_status FROM inserted n LEFT JOIN \(schema).invoices i ON i.id = n.invoice_id
            WHERE i.id IS NULL OR (i.status <> 'draft' AND i.xmin <> pg_current_xact_id()::xid) LIMIT 1;
            IF FOUND AND v_status IS NULL THEN
                RAISE EXCEPTION 'invoice % does not exist', v_invoice USING ERRCODE = 'foreign_key_violation';
            ELSIF FOUND THEN
                RAISE EXCEPTION 'invoice % is %: its lines cannot change', v_invoice, v_status USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER invoice_lines_insert_frozen AFTER INSERT ON \(schema).invoice_lines
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION \(schema).invoice_lines_insert_frozen()
        """,
        """
        CREATE FUNCTION \(schema).invoice_usage_insert_checked() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            v_invoice bigint;
        BEGIN
            SELECT n.invoice_id INTO v_invoice FROM inserted n LEFT JOIN \(schema).invoices i ON i.id = n.invoice_id
            WHERE i.id IS NULL LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'invoice % does not exist', v_invoice USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER invoice_usage_insert_checked AFTER INSERT ON \(schema).invoice_usage
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION \(schema).invoice_usage_insert_checked()
        """,
        """
        CREATE FUNCTION \(schema).invoices_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN
                    RAISE EXCEPTION 'invoice % is %: it cannot be deleted', OLD.number, OLD.status USING ERRCODE = 'check_violation';
                END IF;
                DELETE FROM \(schema).invoice_lines WHERE invoice_id = OLD.id;
                DELETE FROM \(schema).invoice_usage WHERE invoice_id = OLD.id;
                RETURN OLD;
            END IF;
            IF OLD.status <> 'draft' AND (
                NEW.tenant, NEW.period_start, NEW.period_end, NEW.number, NEW.currency, NEW.subtotal, NEW.discount_total,
                NEW.tax_total, NEW.total, NEW.finalized_at, NEW.due_at, NEW.region)
                IS DISTINCT FROM (
                OLD.tenant, OLD.period_start, OLD.period_end, OLD.number, OLD.currency, OLD.subtotal, OLD.discount_total,
                OLD.tax_total, OLD.total, OLD.finalized_at, OLD.due_at, OLD.region) THEN
                RAISE EXCEPTION 'invoice % is %: its amounts cannot change', OLD.number, OLD.status USING ERRCODE = 'check_violation';
            END IF;
            IF OLD.status <> NEW.status AND NOT (
                (OLD.status = 'draft' AND NEW.status = 'finalized') OR
                (OLD.status = 'finalized' AND NEW.status IN ('paid', 'void'))) THEN
                RAISE EXCEPTION 'invoice %: % -> % is not allowed (draft -> finalized -> paid | void)',
                    coalesce(OLD.number, OLD.id::text), OLD.status, NEW.status USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER invoices_frozen BEFORE UPDATE OR DELETE ON \(schema).invoices
        FOR EACH ROW EXECUTE FUNCTION \(schema).invoices_frozen()
        """,
        // An invoice is overdue while finalized, past its due date and with a balance (total
        // less credit notes) above zero.
        """
        CREATE FUNCTION \(schema).invoice_overdue(p_invoice \(schema).invoices, p_at timestamptz) RETURNS boolean
        LANGUAGE sql STABLE AS $$
            SELECT p_invoice.status = 'finalized' AND p_invoice.due_at < p_at AND p_invoice.total >
                (SELECT coalesce(sum(amount), 0) FROM \(schema).credit_notes WHERE invoice_id = p_invoice.id)
        $$
        """,
        // Active accounts with an overdue invoice become past_due, dated at the first due date
        // passed. Returns how many moved.
        """
        CREATE FUNCTION \(schema).mark_past_due(p_at timestamptz) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            v_tenant text;
            v_due timestamptz;
            v_number text;
            v_moved integer := 0;
        BEGIN
            FOR v_tenant, v_due, v_number IN
                SELECT DISTINCT ON (i.tenant) i.tenant, i.due_at, i.number
                FROM \(schema).invoices i JOIN \(schema).billing_accounts a ON a.tenant = i.tenant
                -- The plain conditions first: the function (credit notes) runs for the candidates only.
                WHERE a.status = 'active' AND i.status = 'finalized' AND i.due_at < p_at AND \(schema).invoice_overdue(i, p_at)
                ORDER BY i.tenant, i.due_at
            LOOP
                -- One account the state machine refuses (e.g. canceled by a due cancel applied on
                -- the way) is skipped, not allowed to stop the others.
                BEGIN
                    PERFORM \(schema).transition_account(v_tenant, 'past_due', v_due, 'invoice ' || v_number || ' unpaid after its due date');
                    v_moved := v_moved + 1;
                EXCEPTION WHEN raise_exception THEN
                    RAISE NOTICE 'tenant % not marked past_due: %', v_tenant, SQLERRM;
                END;
            END LOOP;
            RETURN v_moved;
        END
        $$
        """,
        // A past_due account with nothing overdue left (paid, voided or credited) is active again.
        """
        CREATE FUNCTION \(schema).settle_past_due(p_tenant text, p_at timestamptz) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM \(schema).billing_accounts WHERE tenant = p_tenant AND status = 'past_due')
               AND NOT EXISTS (SELECT 1 FROM \(schema).invoices i WHERE i.tenant = p_tenant AND \(schema).invoice_overdue(i, p_at)) THEN
                PERFORM \(schema).transition_account(p_tenant, 'active', p_at, 'no overdue invoice left');
                RETURN true;
            END IF;
            RETURN false;
        END
        $$
        """,
    ]
}
