#!/usr/bin/env bash
# Flush benchmark: one `RollupWriter.write` of N changed series (x 3 grains) to the private
# PostgreSQL of scripts/services.sh, release build, medians over rounds (Tools/FlushBench).
#
# Usage: Benchmarks/flush.sh [SERIES] [ROUNDS]     (defaults 100000 and 5)
# Runs the counter-only case, then a mix of one third counters, gauges and sets.
set -euo pipefail
cd "$(dirname "$0")"
../scripts/services.sh start postgres >/dev/null
eval "$(../scripts/services.sh env 2>/dev/null)"
swift build -c release --product FlushBench >/dev/null
binary="$(swift build -c release --show-bin-path)/FlushBench"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- .. 2>/dev/null || echo ' (with local changes)')"
echo "cores: $(nproc); cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$binary" "$METERD_POSTGRES_URL" "${1:-100000}" "${2:-5}" counter
"$binary" "$METERD_POSTGRES_URL" "${1:-100000}" "${2:-5}" mixed
