#!/usr/bin/env bash
# Entitlement checks under ingest load (docs/quotas.md): a release meterd with a plan book and
# PostgreSQL, 10k tenants x 10 metrics of series, SUBSCRIBED tenants subscribed, then
#   - the seeding time of those tenants (subscription committed -> every one seeded);
#   - `#check` over TCP (`meterctl check --repeat`) and `GET /v1/entitlement` (`meterctl
#     http-latency`), one request after the other on one connection: p50 / p99 / max,
#     first with no load (the baseline), then while `meterctl load` sends RATE events/s of
#     UDP (40 lines per datagram) to the same meterd; the events meterd accepted are reported
#     next to those sent, so the load is known to have been absorbed;
#   - under the same load, how long after a crossing event was sent its alert was evaluated
#     (`crossed_at`) and recorded (`fired_at`): ALERTS tenants on a plan with 10 included each
#     get one event of 11 over TCP, one at a time.
#
# Usage: Benchmarks/entitlement-latency.sh [SECONDS]   (default 20 s per measurement)
# Environment: RATE (default 1000000), SUBSCRIBED (default 1000), CHECKS (default 20000),
#              ALERTS (default 20), NICENESS (ring.shard_niceness, default 0: run with 5 for the
#              A/B of the shard threads' priority).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
rate=${RATE:-1000000}
subscribed=${SUBSCRIBED:-1000}
checks=${CHECKS:-20000}
alerts=${ALERTS:-20}
niceness=${NICENESS:-0}

scripts/install-deps.sh >/dev/null
started_services=0
if ! scripts/services.sh status >/dev/null 2>&1; then
    scripts/services.sh start >/dev/null
    started_services=1
fi
# shellcheck disable=SC1090
source <(scripts/services.sh env)
swift build -c release --product meterd >/dev/null
swift build -c release --product meterctl >/dev/null
bin=$(swift build -c release --show-bin-path)

udp=127.0.0.1:58135 tcp=127.0.0.1:58136 http=127.0.0.1:59135
data=$(mktemp -d)
token=bench-token-0123456789abcdef
pid=
load_pid=
database=
cleanup() {
    [[ -n $load_pid ]] && kill "$load_pid" 2>/dev/null || true
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$data"
    [[ -n $database ]] && psql "$METERD_POSTGRES_URL" -qAt -c "DROP DATABASE IF EXISTS $database" >/dev/null || true
    if [[ $started_services == 1 ]]; then scripts/services.sh stop >/dev/null; fi
}
trap cleanup EXIT

# A plan that includes the load generator's metric-1, so checks answer with a limit.
cat >"$data/plans.yaml" <<'EOF'
plans:
  bench:
    monthly_price: 100
    annual_price: 1000
    included:
      metric-1: 1000000000000
    overage:
      metric-1: 0.000001
  small:
    monthly_price: 1
    annual_price: 10
    included:
      metric-1: 10
EOF

metric() {
    curl -s "http://$http/metrics" | awk -v name="$1" '$1 == name { print $2 }' | head -1
}
now_ms() { date +%s%3N; }

echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(swift --version 2>&1 | grep -m1 -o 'Swift version [0-9.]*')"
echo "commit:  $(git rev-parse --short HEAD); ring.shard_niceness=$niceness"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# A database of its own: the subscriptions and rollups of earlier runs stay out.
database="meterd_bench_entitlement_$$"
psql "$METERD_POSTGRES_URL" -qAt -c "CREATE DATABASE $database" >/dev/null
url="${METERD_POSTGRES_URL%/*}/$database"

METERD_INSTANCE="bench-entitlement-$$" "$bin/meterd" --udp "$udp" --tcp "$tcp" --http "$http" \
    --postgres "$url" --data-dir "$data/data" --flush-interval 1 --log-level warning \
    --set "plans.file=$data/plans.yaml" --set plans.refresh_seconds=1 --set "http_auth.tokens=$token" \
    --set "ring.shard_niceness=$niceness" \
    2>"$data/stderr" &
pid=$!
for _ in $(seq 1 200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && break
    sleep 0.1
done
for _ in $(seq 1 100); do
    [[ $(psql "$url" -qAt -c "SELECT count(*) FROM meterd.plans WHERE plan_id = 'bench'" 2>/dev/null) == 1 ]] && break
    sleep 0.2
done

# Every series exists before measuring (10k tenants x 10 metrics).
"$bin/meterctl" load --udp "$udp" --lines-per-datagram 40 --tenants 10000 --metrics 10 --count 2000000 >/dev/null
sleep 2

start=$(now_ms)
psql "$url" -qAt -c "SELECT count(meterd.set_subscription('t' || k, 'bench')) FROM generate_series(0, $((subscribed - 1))) AS k" >/dev/null
psql "$url" -qAt -c "SELECT count(meterd.set_subscription('alerting-' || k, 'small')) FROM generate_series(1, $alerts) AS k" >/dev/null
subscribed=$((subscribed + alerts))
committed=$(now_ms)
for _ in $(seq 1 1200); do
    awk -v v="$(metric meterd_quota_seeded_tenants)" -v n="$subscribed" 'BEGIN { exit !(v + 0 == n) }' && break
    sleep 0.1
done
seeded=$(now_ms)
echo "seeding: $subscribed tenants subscribed in $((committed - start)) ms; all seeded $((seeded - committed)) ms after the commit (plan book poll every 1 s included); seeded=$(metric meterd_quota_seeded_tenants)"

measure() {  # label
    local label=$1 check http_line
    check=$("$bin/meterctl" check t1 metric-1 --tcp "$tcp" --repeat "$checks")
    http_line=$(METERCTL_TOKEN=$token "$bin/meterctl" http-latency --http "$http" --duration "$seconds" \
        "/v1/entitlement?tenant=t1&metric=metric-1" | tail -1)
    echo "$label | #check (TCP): $check"
    echo "$label | GET /v1/entitlement: $http_line"
}

measure "no load"
accepted_before=$(metric meterd_events_accepted_total)
"$bin/meterctl" load --udp "$udp" --lines-per-datagram 40 --tenants 10000 --metrics 10 --rate "$rate" \
    --duration $((2 * seconds + 15)) >"$data/load.out" &
load_pid=$!
sleep 3
measure "load $rate/s"
# Alert latency: one crossing event at a time, sent when the previous alert is recorded.
for k in $(seq 1 "$alerts"); do
    sent=$(now_ms)
    "$bin/meterctl" send --tcp "$tcp" --sync "metric-1:11|c|#tenant:alerting-$k" >/dev/null
    for _ in $(seq 1 200); do
        row=$(psql "$url" -qAt -c "SELECT (extract(epoch FROM crossed_at) * 1000)::bigint, (extract(epoch FROM fired_at) * 1000)::bigint FROM meterd.alerts_fired WHERE tenant = 'alerting-$k' AND level = 100")
        [[ -n $row ]] && break
        sleep 0.02
    done
    echo "$sent|$row" >>"$data/alerts"
done
quantiles() {  # a column of numbers -> "p50 X ms max Y ms"
    sort -n | awk '{ v[NR] = $1 } END { printf "p50 %d ms max %d ms", v[int((NR + 1) / 2)], v[NR] }'
}
echo "alerts: $(wc -l <"$data/alerts") crossing events under load;" \
    "send -> evaluated (crossed_at) $(awk -F'|' '{ print $2 - $1 }' "$data/alerts" | quantiles);" \
    "send -> recorded (fired_at) $(awk -F'|' '{ print $3 - $1 }' "$data/alerts" | quantiles)"
wait "$load_pid" || true
load_pid=
sleep 2
accepted_after=$(metric meterd_events_accepted_total)
echo "load: $(tail -1 "$data/load.out"); accepted by meterd meanwhile: $(awk -v a="$accepted_after" -v b="$accepted_before" 'BEGIN { printf "%d", a - b }')"
echo "alerts levels reached: $(metric meterd_quota_levels_reached_total)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
