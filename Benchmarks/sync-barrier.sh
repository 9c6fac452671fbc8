#!/usr/bin/env bash
set -euo pipefail
# Acknowledged events/s with a sync barrier every 1,000 lines (meterctl load --sync-every 1000)
# against a release meterd with the WAL and PostgreSQL, alternating with plain runs.
# Usage: [ROUNDS="1 2 3"] [MODES="sync plain"] [EVERY=1000] [RATE=events/s] [FLUSH=1] Benchmarks/sync-barrier.sh
# Needs release builds: swift build -c release --product meterd; ... --product meterctl
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
started=0
if ! scripts/services.sh status >/dev/null 2>&1; then scripts/services.sh start >/dev/null; started=1; fi
source <(scripts/services.sh env)
bin=$(swift build -c release --show-bin-path)
tcp=127.0.0.1:58226 http=127.0.0.1:59225 udp=127.0.0.1:58225
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in ${ROUNDS:-1 2 3}; do
  for mode in ${MODES:-sync plain}; do
    data=$(mktemp -d)
    "$bin/meterd" --udp "$udp" --tcp "$tcp" --http "$http" --postgres "$METERD_POSTGRES_URL" --data-dir "$data" --flush-interval ${FLUSH:-1} --log-level warning 2>"$data/stderr" &
    pid=$!
    for _ in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && break; sleep 0.1; done
    extra=()
    [[ $mode == sync ]] && extra=(--sync-every "${EVERY:-1000}")
    echo "== round $round $mode"
    "$bin/meterctl" load --tcp "$tcp" --duration 5 --tenants 10000 --metrics 10 --lines-per-write 1000 ${RATE:+--rate $RATE} "${extra[@]}" | grep -E "events sent|elapsed|events/s|barrier|acknowledged|sent="
    curl -s "http://$http/metrics" | grep -E "^meterd_sync_barrier_seconds_(count|sum)|^meterd_events_accepted_total|^meterd_wal_fsync_seconds_total|^meterd_wal_commits_total" || true
    kill -TERM $pid; wait $pid || true
    rm -rf "$data"
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $started == 1 ]]; then scripts/services.sh stop >/dev/null; fi
