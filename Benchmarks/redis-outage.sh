#!/usr/bin/env bash
set -euo pipefail
# Ingest throughput of one release meterd (WAL, PostgreSQL, Redis mirror) with its Redis up
# against the same daemon with that Redis killed (SIGKILL), alternating in the same run:
# release `meterctl load --tcp --sync-every 1000` (acknowledged events/s), `ROUNDS` times each.
# Redis is restarted (empty) before each "up" run; the run starts once the mirror reconnected
# and its resync finished (needs_resync 0), so it measures steady mirroring. The order
# alternates per round (up/down, down/up) against drift in the machine's load.
# Usage: [ROUNDS="1 2 3 4"] [DURATION=5] [FLUSH=1] [TENANTS=1000] Benchmarks/redis-outage.sh
# TENANTS x 10 metrics x 3 grains is the number of open keys a resync rewrites (30,000 by
# default; above RedisMirror.resyncKeyLimit = 200,000 the resync is truncated).
# Needs release builds: swift build -c release --product meterd; ... --product meterctl.
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
started=0
if ! scripts/services.sh status >/dev/null 2>&1; then scripts/services.sh start >/dev/null; started=1; fi
source <(scripts/services.sh env)
bin=$(swift build -c release --show-bin-path)
tcp=127.0.0.1:58236 http=127.0.0.1:59235 udp=127.0.0.1:58235 redis_port=58237
data=$(mktemp -d)
redis_pid=
start_redis() {
  redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning \
    >/dev/null 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do redis-cli -p $redis_port ping >/dev/null 2>&1 && return; sleep 0.1; done
}
kill_redis() { kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; }
metric() { curl -s "http://$http/metrics" | awk -v name="$1" '$1 == name { print $2 }' | head -1; }
# A database of its own: a resync reads every instance's rows of the open periods, and earlier
# benchmark runs in the shared database would add their keys to every resync.
database="bench_redis_${data##*/tmp.}"
database=${database,,}
psql -q "$METERD_POSTGRES_URL" -c "CREATE DATABASE $database" >/dev/null
postgres="${METERD_POSTGRES_URL}$([[ $METERD_POSTGRES_URL == *\?* ]] && echo '&' || echo '?')dbname=$database"
start_redis
METERD_INSTANCE="bench-${data##*/}" \
"$bin/meterd" --udp "$udp" --tcp "$tcp" --http "$http" --postgres "$postgres" --data-dir "$data" \
  --redis "redis://127.0.0.1:$redis_port" --set "redis.key_prefix=bench-${data##*/}" \
  --flush-interval ${FLUSH:-1} --log-level warning 2>"$data/stderr" &
pid=$!
for _ in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); commit $(git rev-parse --short HEAD)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| round | redis | acknowledged/s | barrier p50 ms | p99 ms | mirror connected after | load |"
echo "|---|---|---:|---:|---:|---:|---|"
for round in ${ROUNDS:-1 2 3 4}; do
  modes="up down"; (( round % 2 == 0 )) && modes="down up"
  for mode in $modes; do
    if [[ $mode == up ]]; then
      kill -0 "$redis_pid" 2>/dev/null || start_redis
      for _ in $(seq 1 600); do
        [[ $(metric meterd_redis_mirror_connected) == 1 && $(metric meterd_redis_mirror_needs_resync) == 0 ]] && break
        sleep 0.1
      done
    else
      kill -0 "$redis_pid" 2>/dev/null && kill_redis
    fi
    out=$("$bin/meterctl" load --tcp "$tcp" --duration "${DURATION:-5}" --tenants "${TENANTS:-1000}" --metrics 10 \
      --lines-per-write 1000 --sync-every 1000)
    acked=$(sed -nE 's/.*acknowledged events: [0-9]+ \(([0-9]+)\/s\).*/\1/p' <<<"$out")
    p50=$(sed -nE 's/^barrier latency: p50 ([0-9.]+) ms, p99.*/\1/p' <<<"$out")
    p99=$(sed -nE 's/.*p99 ([0-9.]+) ms,.*/\1/p' <<<"$out")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$round" "$mode" "${acked:--}" "${p50:--}" "${p99:--}" \
      "$(metric meterd_redis_mirror_connected)" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
kill -0 "$redis_pid" 2>/dev/null || start_redis
for _ in $(seq 1 600); do [[ $(metric meterd_redis_mirror_needs_resync) == 0 ]] && break; sleep 0.1; done
curl -s "http://$http/metrics" | grep -E '^meterd_redis_mirror_(resyncs_total|rounds_total|dropped_rounds_total|skipped_rounds_total|needs_resync|resync_seconds_(sum|count)|resync_keys_total)' || true
kill -TERM $pid; wait $pid || true
kill_redis
rm -rf "$data"
psql -q "$METERD_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $started == 1 ]]; then scripts/services.sh stop >/dev/null; fi
