#!/usr/bin/env bash
# Usage query latency (GET /v1/usage, one tenant's current month at hour grain, issued one
# after the other by `meterctl http-latency`) against a release meterd flushing every second
# to the private PostgreSQL, with no ingest load (baseline) and under `meterctl load` paced at
# RATE events/s over TCP, alternating, ROUNDS times. Prints p50/p99/max per run.
#
# Usage: [ROUNDS="1 2"] [DURATION=30] [RATE=1000000] [CONNECTIONS=2] [TENANTS=10000]
#        [EXTRA_PATH=/v1/entitlements/...] Benchmarks/query-latency.sh
#   EXTRA_PATH: a second path queried in turn with the usage query (same connection, same token).
# Results: docs/benchmarks.md "Usage query latency".
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
duration=${DURATION:-30}
started=0
if ! scripts/services.sh status >/dev/null 2>&1; then scripts/services.sh start >/dev/null; started=1; fi
# shellcheck disable=SC1090
source <(scripts/services.sh env)
swift build -c release --product meterd >/dev/null
swift build -c release --product meterctl >/dev/null
bin=$(swift build -c release --show-bin-path)
udp=127.0.0.1:58325 tcp=127.0.0.1:58326 http=127.0.0.1:59325
token=bench-query-token-0123456789
data=$(mktemp -d)
pid=
cleanup() {
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$data"
    if [[ $started == 1 ]]; then scripts/services.sh stop >/dev/null; fi
}
trap cleanup EXIT

metric() { curl -s "http://$http/metrics" | awk -v name="$1" '$1 == name { print $2 }' | head -1; }

# A fresh data directory needs an instance name of its own (docs/durability.md).
METERD_INSTANCE="bench-query-${data##*/}" \
"$bin/meterd" --udp "$udp" --tcp "$tcp" --http "$http" --postgres "$METERD_POSTGRES_URL" --data-dir "$data" \
    --flush-interval 1 --log-level warning --set "http_auth.tokens=$token" 2>"$data/stderr" &
pid=$!
for _ in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && break; sleep 0.1; done

# The queried tenant (t1 of meterctl load's t0..t<N-1>) exists before the first run.
"$bin/meterctl" send --tcp "$tcp" --sync "metric-0:1|c|#tenant:t1" >/dev/null
now=$(date +%s)
month=$(date -u -d "$(date -u +%Y-%m-01)" +%s)
path="/v1/usage?tenant=t1&grain=hour&from=$month&to=$((now + 86400))"
paths=("$path")
[[ -n ${EXTRA_PATH:-} ]] && paths+=("$EXTRA_PATH")

echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(swift --version 2>&1 | grep -m1 -o 'Swift version [0-9.]*'); commit $(git rev-parse --short HEAD)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "query: GET $path (sequential, one kept-alive connection, ${duration} s per run)"
echo
echo "| round | ingest | path | requests | p50 ms | p99 ms | max ms | statuses | events/s | load avg |"
echo "|---|---|---|---:|---:|---:|---:|---|---|---|"
query() {  # round, ingest label, events/s
    "$bin/meterctl" http-latency --http "$http" --token "$token" --duration "$duration" "${paths[@]}" |
    while read -r line; do
        p=$(sed -E 's/^path=([^ ]+) .*/\1/' <<<"$line")
        [[ $p == "$path" ]] && p=usage
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "${p:0:40}" \
            "$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")" "$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")" \
            "$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")" "$(sed -E 's/.*max_ms=([0-9.]+).*/\1/' <<<"$line")" \
            "$(sed -E 's/.*statuses=([^ ]+).*/\1/' <<<"$line")" "$3" "$(cut -d' ' -f1 /proc/loadavg)"
    done
}
for round in ${ROUNDS:-1 2}; do
    query "$round" none -
    out=$(mktemp)
    "$bin/meterctl" load --tcp "$tcp" --connections "${CONNECTIONS:-2}" --rate "${RATE:-1000000}" \
        --duration $((duration + 4)) --tenants "${TENANTS:-10000}" --metrics 10 --lines-per-write 1000 >"$out" &
    load=$!
    sleep 2
    before=$(metric meterd_events_accepted_total)
    started_at=$(date +%s.%N)
    query "$round" "paced ${RATE:-1000000}/s" "see below"
    after=$(metric meterd_events_accepted_total)
    ended_at=$(date +%s.%N)
    wait $load || true
    echo "| $round | load | meterctl $(sed -nE 's/^sent=([0-9]+) seconds=([0-9.]+) rate=([0-9]+).*/sent \1 in \2 s = \3 events\/s/p' "$out"); meterd accepted $(awk -v a="$after" -v b="$before" -v s="$started_at" -v e="$ended_at" 'BEGIN { printf "%.0f", (a - b) / (e - s) }') events/s while the queries ran |||||||"
    rm -f "$out"
done
echo
echo "meterd_usage_requests_total: $(curl -s "http://$http/metrics" | grep '^meterd_usage_requests_total' | tr '\n' ' ')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
