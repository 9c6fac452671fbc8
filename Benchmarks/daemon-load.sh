#!/usr/bin/env bash
# End-to-end throughput: a release meterd flushing to the private PostgreSQL, driven by
# `meterctl load` on the same 2-core machine, 10k tenants x 10 metrics. For each transport it
# prints events sent, events meterd accepted, drops, meterd's CPU and resident memory.
#
# Usage: Benchmarks/daemon-load.sh [SECONDS]   (default 5 s per run; results in docs/benchmarks.md)
#        WAL_COMPARE=N Benchmarks/daemon-load.sh [SECONDS]
#          only TCP, N rounds of one run with --data-dir (the WAL on, a fresh directory each
#          time) and one without (no WAL), alternating, for the cost of the WAL on ingest.
#        BASELINE=path/to/other/meterd [ROUNDS=N] [CONNECTIONS=C] Benchmarks/daemon-load.sh [SECONDS]
#          only TCP with the WAL on, N rounds (default 3) alternating this checkout's release
#          meterd ("new") and BASELINE ("base", e.g. built from main), same meterctl, C
#          connections (default 1): the A/B of a change on the plain (unacknowledged) path.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}

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

meterd=$bin/meterd
udp=127.0.0.1:58125 tcp=127.0.0.1:58126 http=127.0.0.1:59125
data=$(mktemp -d)
pid=
cleanup() {
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$data"
    if [[ $started_services == 1 ]]; then scripts/services.sh stop >/dev/null; fi
}
trap cleanup EXIT

metric() { curl -s "http://$http/metrics" | awk -v name="$1" '$1 == name { print $2 }' | head -1; }
metric_sum() { curl -s "http://$http/metrics" | awk -v prefix="$1{" 'index($1, prefix) == 1 { total += $2 } END { printf "%d", total }'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }

echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(swift --version 2>&1 | grep -m1 -o 'Swift version [0-9.]*')"
echo "commit:  $(git rev-parse --short HEAD)"
echo
echo "| transport | lines per datagram | events sent | sent/s | accepted by meterd | dropped | meterd CPU (cores) | meterd RSS | series |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"

storage=(--data-dir "$data")
run() {  # transport label, then meterctl arguments
    local label=$1 per=$2
    shift 2
    # A fresh data directory needs an instance name of its own (meterd refuses a new WAL
    # where PostgreSQL holds the positions of an earlier one: docs/durability.md).
    METERD_INSTANCE="bench-$$-$(basename "${storage[1]:-none}")" \
    "$meterd" --udp "$udp" --tcp "$tcp" --http "$http" --postgres "$METERD_POSTGRES_URL" \
        "${storage[@]}" --flush-interval 1 --log-level warning 2>"$data/stderr" &
    pid=$!
    for _ in $(seq 1 100); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && break
        sleep 0.1
    done
    local before_ticks out sent rate
    before_ticks=$(ticks)
    out=$("$bin/meterctl" load "$@" --duration "$seconds" --tenants 10000 --metrics 10 | tail -1)
    sent=$(sed -E 's/.*sent=([0-9]+).*/\1/' <<<"$out")
    rate=$(sed -E 's/.*rate=([0-9.]+).*/\1/' <<<"$out")
    # Let meterd finish what the kernel still buffers, then read its counters.
    local accepted previous=-1
    for _ in $(seq 1 100); do
        accepted=$(metric meterd_events_accepted_total)
        [[ $accepted == "$previous" ]] && break
        previous=$accepted
        sleep 0.3
    done
    local used_ticks cpu rss series dropped
    used_ticks=$(( $(ticks) - before_ticks ))
    cpu=$(awk -v t="$used_ticks" -v hz="$(getconf CLK_TCK)" -v s="$seconds" 'BEGIN { printf "%.2f", t / hz / s }')
    rss=$(( $(rss_kib) / 1024 ))
    series=$(metric_sum meterd_series)
    dropped=$(awk -v s="$sent" -v a="${accepted:-0}" 'BEGIN { printf "%d", s - a }')
    printf '| %s | %s | %s | %.0f | %s | %s | %s | %s MiB | %s |\n' \
        "$label" "$per" "$sent" "$rate" "${accepted%.*}" "$dropped" "$cpu" "$rss" "${series%.*}"
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
}

if [[ -n ${BASELINE:-} ]]; then
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    for round in $(seq 1 "${ROUNDS:-3}"); do
        for daemon in "new=$bin/meterd" "base=$BASELINE"; do
            meterd=${daemon#*=}
            storage=(--data-dir "$data/${daemon%%=*}-$round")
            run "TCP, WAL, ${daemon%%=*}, round $round" "-" --tcp "$tcp" --connections "${CONNECTIONS:-1}"
        done
    done
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi
if [[ -n ${WAL_COMPARE:-} ]]; then
    for round in $(seq 1 "$WAL_COMPARE"); do
        storage=(--data-dir "$data/wal-run-$round")
        run "TCP, WAL (data dir)" "-" --tcp "$tcp"
        storage=()
        run "TCP, no WAL" "-" --tcp "$tcp"
    done
    exit 0
fi
run "TCP" "-" --tcp "$tcp"
run "UDP" 40 --udp "$udp" --lines-per-datagram 40
run "UDP" 1 --udp "$udp" --lines-per-datagram 1
for rate in 1000000 2000000 3000000; do
    run "UDP, paced to $((rate / 1000000))M/s" 40 --udp "$udp" --lines-per-datagram 40 --rate "$rate"
done
