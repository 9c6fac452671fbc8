#!/usr/bin/env bash
set -euo pipefail
# Acknowledged events/s with a sync barrier every 1,000 lines (meterctl load --sync-every 1000)
# against a release meterd with the WAL and PostgreSQL, alternating with plain runs, over one
# or several connections (each with its own barriers), optionally alternating two meterd builds.
# Usage: [ROUNDS="1 2 3"] [MODES="sync plain"] [CONNECTIONS="1 2 4 8"] [EVERY=1000] [RATE=events/s]
#        [FLUSH=1] [DURATION=5] [DAEMONS="new=path/to/meterd base=path/to/other/meterd"]
#        Benchmarks/sync-barrier.sh
# Needs release builds: swift build -c release --product meterd; ... --product meterctl.
# DAEMONS defaults to the release meterd of this checkout ("new"); meterctl is always this
# checkout's, so every daemon faces the same load generator. One summary row per run:
# | round | daemon | connections | mode | events/s | acknowledged/s | p50 | p99 | server mean | WAL commits | mean fdatasync | load |
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
started=0
if ! scripts/services.sh status >/dev/null 2>&1; then scripts/services.sh start >/dev/null; started=1; fi
source <(scripts/services.sh env)
bin=$(swift build -c release --show-bin-path)
daemons=${DAEMONS:-new=$bin/meterd}
tcp=127.0.0.1:58226 http=127.0.0.1:59225 udp=127.0.0.1:58225
metric() { awk -v name="$1" '$1 == name { print $2 }' <<<"$2" | head -1; }
echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); commit $(git rev-parse --short HEAD)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| round | daemon | connections | mode | events/s | acknowledged/s | p50 ms | p99 ms | server mean ms | WAL commits | mean fdatasync ms | load |"
echo "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
for round in ${ROUNDS:-1 2 3}; do
  for connections in ${CONNECTIONS:-1}; do
    for daemon in $daemons; do
      name=${daemon%%=*} meterd=${daemon#*=}
      for mode in ${MODES:-sync plain}; do
        data=$(mktemp -d)
        # A fresh data directory needs an instance name of its own (docs/durability.md).
        METERD_INSTANCE="bench-${data##*/}" \
        "$meterd" --udp "$udp" --tcp "$tcp" --http "$http" --postgres "$METERD_POSTGRES_URL" --data-dir "$data" \
          --flush-interval ${FLUSH:-1} --log-level warning 2>"$data/stderr" &
        pid=$!
        for _ in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && break; sleep 0.1; done
        extra=()
        [[ $mode == sync ]] && extra=(--sync-every "${EVERY:-1000}")
        out=$("$bin/meterctl" load --tcp "$tcp" --connections "$connections" --duration "${DURATION:-5}" --tenants 10000 \
          --metrics 10 --lines-per-write 1000 ${RATE:+--rate $RATE} "${extra[@]}")
        metrics=$(curl -s "http://$http/metrics")
        kill -TERM $pid; wait $pid || true
        rm -rf "$data"
        rate=$(sed -nE 's/^events\/s: ([0-9]+).*/\1/p' <<<"$out")
        acked=$(sed -nE 's/.*acknowledged events: [0-9]+ \(([0-9]+)\/s\).*/\1/p' <<<"$out")
        p50=$(sed -nE 's/^barrier latency: p50 ([0-9.]+) ms, p99.*/\1/p' <<<"$out")
        p99=$(sed -nE 's/.*p99 ([0-9.]+) ms,.*/\1/p' <<<"$out")
        count=$(metric meterd_sync_barrier_seconds_count "$metrics")
        sum=$(metric meterd_sync_barrier_seconds_sum "$metrics")
        commits=$(metric meterd_wal_commits_total "$metrics")
        fsync=$(metric meterd_wal_fsync_seconds_total "$metrics")
        server=$(awk -v s="${sum:-0}" -v c="${count:-0}" 'BEGIN { if (c > 0) printf "%.1f", 1000 * s / c; else print "-" }')
        meanfsync=$(awk -v s="${fsync:-0}" -v c="${commits:-0}" 'BEGIN { if (c > 0) printf "%.2f", 1000 * s / c; else print "-" }')
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$round" "$name" "$connections" "$mode" \
          "$rate" "${acked:--}" "${p50:--}" "${p99:--}" "$server" "${commits%.*}" "$meanfsync" "$(cut -d' ' -f1 /proc/loadavg)"
      done
    done
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $started == 1 ]]; then scripts/services.sh stop >/dev/null; fi
