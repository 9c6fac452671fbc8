#!/usr/bin/env bash
set -euo pipefail
# What persisting idempotency keys costs a release meterd (docs/dedup.md "Restarts"):
#  1. flush: rounds alternating 100,000 events without ids and 100,000 events with new ids
#     (same 2,000 series), each sent with a sync barrier over TCP; the flush time of the round
#     that carries them is read from meterd_flush_seconds (sum and count deltas);
#  2. start-up: IDS synthetic keys (default 1,000,000) inserted for a private instance name,
#     then meterd restarted RESTARTS times: the "idempotency keys loaded" line's load time.
# VACUUM FULL meterd.dedup_ids first (also at the end) so earlier runs' dead rows do not count.
# Usage: [ROUNDS=5] [IDS=1000000] [RESTARTS=3] Benchmarks/dedup-cost.sh
# Needs release builds: swift build -c release --product meterd; ... --product meterctl
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
started=0
if ! scripts/services.sh status >/dev/null 2>&1; then scripts/services.sh start >/dev/null; started=1; fi
source <(scripts/services.sh env)
bin=$(swift build -c release --show-bin-path)
tcp=127.0.0.1:58236 http=127.0.0.1:59235 udp=127.0.0.1:58235
export METERD_INSTANCE=dedup-bench-$$
data=$(mktemp -d)
psql_() { psql "$METERD_POSTGRES_URL" -qtAX -c "$1"; }
cleanup() {
  [[ -n ${pid:-} ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" || true
  psql_ "DELETE FROM meterd.dedup_ids WHERE instance = '$METERD_INSTANCE'; DELETE FROM meterd.wal_checkpoints WHERE instance = '$METERD_INSTANCE'" || true
  psql_ "VACUUM FULL meterd.dedup_ids" || true
  rm -rf "$data"
  if [[ $started == 1 ]]; then scripts/services.sh stop >/dev/null; fi
}
trap cleanup EXIT
start() {
  "$bin/meterd" --udp "$udp" --tcp "$tcp" --http "$http" --postgres "$METERD_POSTGRES_URL" --data-dir "$data" \
    --flush-interval 1 --log-level info 2>>"$data/stderr" &
  pid=$!
  for _ in $(seq 1 600); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$http/readyz") == 200 ]] && return; sleep 0.1; done
  echo "meterd not ready"; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }
metric() { curl -s "http://$http/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
# 100,000 lines over 1,000 tenants x 2 metrics; with ids from offset $2 when $1 is "ids".
lines() {
  awk -v ids="$1" -v base="$2" 'BEGIN { for (i = 0; i < 100000; i++) {
    tag = ids == "ids" ? ",id:r-" (base + i) : ""
    printf "bench.calls%d:1|c|#tenant:t%d%s\n", i % 2, i % 1000, tag } }'
}
psql_ "VACUUM FULL meterd.dedup_ids"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
start
next=0
for round in $(seq 1 "${ROUNDS:-5}"); do
  for mode in plain ids; do
    # Every flush from here on carries only this round's events (nothing else is sent):
    # the sum of their times once the daemon is settled is the round's flush cost.
    count0=$(metric meterd_flush_seconds_count); sum0=$(metric meterd_flush_seconds_sum)
    lines "$mode" "$next" | "$bin/meterctl" send --tcp "$tcp" --sync --sync-timeout 60 >/dev/null
    [[ $mode == ids ]] && next=$((next + 100000))
    sleep 2  # two flush intervals: the shards' deltas are collected
    for _ in $(seq 1 120); do
      before=$(metric meterd_flush_seconds_count); sleep 1.5
      [[ $(metric meterd_flush_seconds_count) == "$before" && $(metric meterd_flush_pending_rows) == 0* ]] && break
    done
    count1=$(metric meterd_flush_seconds_count); sum1=$(metric meterd_flush_seconds_sum)
    awk -v r="$round" -v m="$mode" -v c0="$count0" -v c1="$count1" -v s0="$sum0" -v s1="$sum1" \
      'BEGIN { printf "round %d %-5s flush time %.3f s over %d rounds\n", r, m, s1 - s0, c1 - c0 }'
  done
done
stop
psql_ "INSERT INTO meterd.dedup_ids (instance, fingerprint, arrival, shard, shards)
       SELECT '$METERD_INSTANCE', gen_random_uuid(), now() - (i % 3600) * interval '1 second', i % 8, 8
       FROM generate_series(1, ${IDS:-1000000}) AS i ON CONFLICT DO NOTHING"
echo "ids in the window: $(psql_ "SELECT count(*) FROM meterd.dedup_ids WHERE instance = '$METERD_INSTANCE'")"
for restart in $(seq 1 "${RESTARTS:-3}"); do
  t0=$(date +%s.%N); start; t1=$(date +%s.%N)
  loaded=$(grep "idempotency keys loaded" "$data/stderr" | tail -1 | grep -o 'dedup.load_seconds=[^ ]*' || true)
  awk -v a="$t0" -v b="$t1" -v l="$loaded" -v r="$restart" 'BEGIN { printf "restart %d: ready after %.2f s (%s)\n", r, b - a, l }'
  stop
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
