#!/usr/bin/env bash
# A billing run for TENANTS tenants with METRICS metrics each (issue 6's target: 1,000 x 10 in
# under 1 s), with `meterctl billing run` (release build) against the private PostgreSQL.
#
# Data (a database of its own, dropped at the end): one plan of METRICS metrics (1000 included,
# 0.05 per unit over), TENANTS monthly subscriptions started on 2026-10-01 with anchors spread
# over that day (so every usage window has hourly edges and daily middles), every fourth
# tenant taxed (US-CA), and rollups for October: daily rows for every day and hourly rows for
# the edge days, every metric over its quota (so every invoice has METRICS overage lines).
# Each round bills the one period due on 2026-11-05 from scratch (invoices truncated before).
# Baseline in the same rounds: one psql statement reading the same rollup rows (the read floor).
# STEADY=1: the subscriptions start on 2026-08-01 and August's and September's periods are
# billed once before the rounds, so each round (October) also reads those two periods' windows
# again for late usage, as every monthly run after the first does; only October's invoices
# are removed between rounds.
#
# Usage: [ROUNDS=5] [TENANTS=1000] [METRICS=10] [BATCH=200] [STEADY=1] Benchmarks/billing-run.sh
# Results: docs/benchmarks.md "Billing run".
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
rounds=${ROUNDS:-5} tenants=${TENANTS:-1000} metrics=${METRICS:-10}
first=2026-10-01 edges="'2026-10-01', '2026-11-01'"
if [[ -n ${STEADY:-} ]]; then first=2026-08-01 edges="'2026-08-01', '2026-09-01', '2026-10-01', '2026-11-01'"; fi
started=0
if ! scripts/services.sh status >/dev/null 2>&1; then scripts/services.sh start >/dev/null; started=1; fi
# shellcheck disable=SC1090
source <(scripts/services.sh env)
swift build -c release --product meterctl >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path 2>/dev/null)
database="meterd_bench_billing_$$"
admin=$METERD_POSTGRES_URL
url=$(python3 -c "import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(u.urlunparse(p._replace(path='/' + sys.argv[2])))" "$admin" "$database")
cleanup() {
    [[ -n ${KEEP:-} ]] || psql "$admin" -qtAX -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    if [[ $started == 1 ]]; then scripts/services.sh stop >/dev/null; fi
}
report=$(mktemp)
trap 'cleanup; rm -f "$report"' EXIT
psql "$admin" -qtAX -c "CREATE DATABASE $database" >/dev/null
sql() { psql "$url" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }

# Migrations and the tax rate table.
"$bin/meterctl" billing tax-rates load config/tax-rates.yaml --postgres "$url" >/dev/null
sql "INSERT INTO meterd.plans (plan_id, name, currency, pricing, monthly_price, annual_price) VALUES ('bench', 'Bench', 'USD', 'list', 299, 2990);
     INSERT INTO meterd.plan_metrics (plan_id, metric, included, overage_price)
         SELECT 'bench', 'metric-' || m, 1000, 0.05 FROM generate_series(0, $metrics - 1) m;"
sql "SELECT meterd.create_subscription('t' || i, 'bench', 'monthly', 1, NULL, NULL,
            timestamptz '$first 00:00:00+00' + make_interval(secs => i * (86000 / $tenants)),
            CASE WHEN i % 4 = 0 THEN 'US-CA' END, 'B' || i, NULL, NULL)
     FROM generate_series(0, $tenants - 1) i" >/dev/null
sql "INSERT INTO meterd.usage_daily (tenant, metric, type, bucket, events, sum)
         SELECT 't' || i, 'metric-' || m, 'c', d, 100, 40 + i % 7
         FROM generate_series(0, $tenants - 1) i, generate_series(0, $metrics - 1) m,
              generate_series(timestamptz '$first 00:00:00+00', timestamptz '2026-11-02 00:00:00+00', interval '1 day') d;
     INSERT INTO meterd.usage_hourly (tenant, metric, type, bucket, events, sum)
         SELECT 't' || i, 'metric-' || m, 'c', h, 5, 2
         FROM generate_series(0, $tenants - 1) i, generate_series(0, $metrics - 1) m,
              (SELECT day + make_interval(hours => k) FROM unnest(ARRAY[$edges]::timestamptz[]) AS e(day), generate_series(0, 23) k) AS hours(h);
     ANALYZE meterd.usage_daily; ANALYZE meterd.usage_hourly; ANALYZE meterd.subscriptions;"
rows=$(sql "SELECT (SELECT count(*) FROM meterd.usage_daily) + (SELECT count(*) FROM meterd.usage_hourly)")
if [[ -n ${STEADY:-} ]]; then
    "$bin/meterctl" billing run --postgres "$url" --at 2026-10-05T00:00:00Z >/dev/null
fi

baseline_sql="SELECT s.tenant, r.metric, sum(r.sum) FROM meterd.subscriptions s
    JOIN meterd.usage_daily r ON r.tenant = s.tenant AND r.bucket >= date_trunc('day', s.billing_anchor) + interval '1 day'
        AND r.bucket < date_trunc('day', s.billing_anchor + interval '1 month')
    GROUP BY 1, 2"

echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(swift --version 2>&1 | grep -m1 -o 'Swift version [0-9.]*'); commit $(git rev-parse --short HEAD)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "data: $tenants tenants x $metrics metrics, $rows rollup rows"
echo
echo "| round | invoices | run ms | read ms | compute ms | write ms | process wall ms | baseline read ms | load avg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for round in $(seq 1 "$rounds"); do
    if [[ -n ${STEADY:-} ]]; then
        # October's invoices out again (finalized invoices are frozen: the bench lifts the trigger).
        sql "ALTER TABLE meterd.invoices DISABLE TRIGGER invoices_frozen;
             ALTER TABLE meterd.invoice_lines DISABLE TRIGGER invoice_lines_frozen;
             DELETE FROM meterd.invoice_lines WHERE invoice_id IN (SELECT id FROM meterd.invoices WHERE period_start >= '2026-10-01');
             DELETE FROM meterd.invoice_usage WHERE invoice_id IN (SELECT id FROM meterd.invoices WHERE period_start >= '2026-10-01');
             DELETE FROM meterd.invoices WHERE period_start >= '2026-10-01';
             ALTER TABLE meterd.invoice_lines ENABLE TRIGGER invoice_lines_frozen;
             ALTER TABLE meterd.invoices ENABLE TRIGGER invoices_frozen;
             UPDATE meterd.invoice_sequences SET last_number = 2;" >/dev/null
        # As autovacuum would between two monthly runs: no dead rows of the removed invoices.
        for table in invoices invoice_lines invoice_usage invoice_sequences; do sql "VACUUM ANALYZE meterd.$table" >/dev/null; done
    else
        sql "TRUNCATE meterd.invoices, meterd.invoice_lines, meterd.invoice_usage, meterd.invoice_sequences, meterd.credit_notes" >/dev/null
    fi
    t0=$(date +%s%N)
    "$bin/meterctl" billing run --postgres "$url" --at 2026-11-05T00:00:00Z --batch-tenants "${BATCH:-200}" --json >"$report"
    t1=$(date +%s%N)
    b0=$(date +%s%N); sql "$baseline_sql" >/dev/null; b1=$(date +%s%N)
    python3 - "$round" "$report" "$(( (t1 - t0) / 1000000 ))" "$(( (b1 - b0) / 1000000 ))" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
round_, report, wall, baseline, load = sys.argv[1:]
r = json.load(open(report))
assert not r["failures"], r["failures"]
print(f"| {round_} | {len(r['invoices'])} | {r['milliseconds']} | {r['read_ms']} | {r['compute_ms']} | {r['write_ms']} | {wall} | {baseline} | {load} |")
PY
done
lines=$(sql "SELECT count(*) FROM meterd.invoice_lines")
echo
echo "last round: $lines invoice lines written"
