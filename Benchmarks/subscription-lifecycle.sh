#!/usr/bin/env bash
# The subscription lifecycle's SQL functions (docs/billing.md "Subscriptions") for TENANTS
# tenants, each step next to its baseline, timed inside PostgreSQL (clock_timestamp) so only
# the server's work counts; RUNS runs, each in a fresh database; medians printed.
#   - create: create_subscription with a 14-day trial per tenant (row, account, prefix check,
#     'created' event, advisory lock), against the baseline of the same subscription rows by a
#     plain INSERT (what a subscription cost before migration 9);
#   - trial ends: apply_due_transitions at the trials' end (every tenant trialing -> active),
#     against apply_due_transitions when nothing is due (the scan a billing run always pays);
#   - past_due: transition_account(tenant, 'past_due') per tenant;
#   - change: change_subscription (upgrade) per tenant.
#
# Usage: Benchmarks/subscription-lifecycle.sh   Environment: TENANTS (default 1000), RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
tenants=${TENANTS:-1000}
runs=${RUNS:-5}

started_services=0
if ! scripts/services.sh status >/dev/null 2>&1; then
    scripts/services.sh start >/dev/null
    started_services=1
fi
# shellcheck disable=SC1090
source <(scripts/services.sh env)
swift build --product meterctl >/dev/null 2>&1  # only applies the migrations: debug is enough
bin=$(swift build --show-bin-path)
results=$(mktemp)
cleanup() {
    rm -f "$results"
    if ((started_services)); then scripts/services.sh stop >/dev/null; fi
}
trap cleanup EXIT

for run in $(seq 1 "$runs"); do
    db=meterd_bench_lifecycle_$$_$run
    psql "$METERD_POSTGRES_URL" -qc "CREATE DATABASE $db"
    url="${METERD_POSTGRES_URL%/*}/$db"
    "$bin/meterctl" subscription show nobody --postgres "$url" >/dev/null 2>&1 || true  # migrations
    psql "$url" -qAt -v ON_ERROR_STOP=1 -v n="$tenants" >>"$results" <<'SQL'
INSERT INTO meterd.plans (plan_id, name, currency, pricing, monthly_price, annual_price)
VALUES ('starter', 'Starter', 'USD', 'list', 299, 2990), ('professional', 'Professional', 'USD', 'list', 799, 7990);
CREATE TEMP TABLE timing (step text, ms numeric);
CREATE TEMP TABLE clock (t timestamptz);
INSERT INTO clock VALUES (clock_timestamp());
INSERT INTO meterd.subscriptions (tenant, plan_id, billing_anchor, started_at, trial_ends_at)
SELECT 'base' || k, 'starter', '2026-01-01', '2026-01-01', '2026-01-15' FROM generate_series(1, :n) AS k;
INSERT INTO timing SELECT 'create_baseline_insert', extract(epoch FROM clock_timestamp() - t) * 1000 FROM clock;
UPDATE clock SET t = clock_timestamp();
SELECT count(meterd.create_subscription('tenant-' || k, 'starter', p_trial_days => 14, p_at => '2026-01-01'))
FROM generate_series(1, :n) AS k \g /dev/null
INSERT INTO timing SELECT 'create_subscription', extract(epoch FROM clock_timestamp() - t) * 1000 FROM clock;
UPDATE clock SET t = clock_timestamp();
SELECT meterd.apply_due_transitions('2026-01-14') \g /dev/null
INSERT INTO timing SELECT 'apply_due_baseline_nothing_due', extract(epoch FROM clock_timestamp() - t) * 1000 FROM clock;
UPDATE clock SET t = clock_timestamp();
SELECT meterd.apply_due_transitions('2026-01-15') \g /dev/null
INSERT INTO timing SELECT 'apply_due_all_trials_end', extract(epoch FROM clock_timestamp() - t) * 1000 FROM clock;
UPDATE clock SET t = clock_timestamp();
SELECT count(meterd.transition_account('tenant-' || k, 'past_due', '2026-02-20')) FROM generate_series(1, :n) AS k \g /dev/null
INSERT INTO timing SELECT 'transition_account_past_due', extract(epoch FROM clock_timestamp() - t) * 1000 FROM clock;
UPDATE clock SET t = clock_timestamp();
SELECT count(meterd.change_subscription('tenant-' || k, 'professional', p_at => '2026-03-01')) FROM generate_series(1, :n) AS k \g /dev/null
INSERT INTO timing SELECT 'change_subscription_upgrade', extract(epoch FROM clock_timestamp() - t) * 1000 FROM clock;
SELECT 'check ' || count(*) FILTER (WHERE status = 'past_due') || ' ' || (SELECT count(*) FROM meterd.subscription_events)
FROM meterd.billing_accounts;
SELECT step || ' ' || round(ms, 3) FROM timing;
SQL
    psql "$METERD_POSTGRES_URL" -qc "DROP DATABASE $db WITH (FORCE)"
done

echo "tenants=$tenants runs=$runs (median ms over the runs; per tenant in microseconds)"
python3 - "$results" "$tenants" <<'PY'
import statistics, sys
rows, tenants = {}, int(sys.argv[2])
for line in open(sys.argv[1]):
    step, value = line.split()[0], line.split()[1:]
    if step == "check":
        print(f"check: past_due accounts {value[0]}, events {value[1]} (expected {tenants} and {4 * tenants})")
        continue
    rows.setdefault(step, []).append(float(value[0]))
median = {step: statistics.median(values) for step, values in rows.items()}
for step, value in median.items():
    print(f"{step:34s} {value:9.3f} ms  {value * 1000 / tenants:8.1f} us/tenant")
print(f"ratio create_subscription / plain INSERT:            {median['create_subscription'] / median['create_baseline_insert']:.1f}")
print(f"ratio apply_due (all due) / apply_due (nothing due): {median['apply_due_all_trials_end'] / median['apply_due_baseline_nothing_due']:.1f}")
PY
