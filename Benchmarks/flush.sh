#!/usr/bin/env bash
# Flush benchmark: one `RollupWriter.write` of N changed series (x 3 grains) to the private
# PostgreSQL of scripts/services.sh, release build, medians over rounds (Tools/FlushBench).
#
# Usage: Benchmarks/flush.sh [SERIES] [ROUNDS]     (defaults 100000 and 5)
# Runs the counter-only case, then a mix of one third counters, gauges and sets.
# BEFORE=/path/to/an/older/FlushBench runs that binary too, alternating with this build's,
# so before/after ratios come from the same run (same load on the shared machine).
set -euo pipefail
cd "$(dirname "$0")"
../scripts/services.sh start postgres >/dev/null
eval "$(../scripts/services.sh env 2>/dev/null)"
swift build -c release --product FlushBench >/dev/null
binary="$(swift build -c release --show-bin-path)/FlushBench"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- .. 2>/dev/null || echo ' (with local changes)')"
echo "cores: $(nproc); cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in counter mixed; do
    if [[ -n "${BEFORE:-}" ]]; then
        echo "--- before ($BEFORE)"
        "$BEFORE" "$METERD_POSTGRES_URL" "${1:-100000}" "${2:-5}" "$mode"
        echo "--- after (this build)"
    fi
    "$binary" "$METERD_POSTGRES_URL" "${1:-100000}" "${2:-5}" "$mode"
done
