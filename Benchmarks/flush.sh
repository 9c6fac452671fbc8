#!/usr/bin/env bash
# Flush benchmark: one `RollupWriter.write` of N changed series (x 3 grains) to the private
# PostgreSQL of scripts/services.sh, release build, medians over rounds (Tools/FlushBench).
#
# Usage: Benchmarks/flush.sh [SERIES] [ROUNDS]     (defaults 100000 and 5)
# Runs the counter-only case, then a mix of one third counters, gauges and sets.
# BEFORE=/path/to/an/older/FlushBench runs that binary too, alternating with this build's round
# by round (one round per process), so before/after ratios come from the same run (same load
# on the shared machine); the medians of each side's rounds and their ratios are printed last.
set -euo pipefail
cd "$(dirname "$0")"
../scripts/services.sh start postgres >/dev/null
eval "$(../scripts/services.sh env 2>/dev/null)"
swift build -c release --product FlushBench >/dev/null
binary="$(swift build -c release --show-bin-path)/FlushBench"
series="${1:-100000}"
rounds="${2:-5}"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- .. 2>/dev/null || echo ' (with local changes)')"
echo "cores: $(nproc); cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in counter mixed; do
    if [[ -z "${BEFORE:-}" ]]; then
        "$binary" "$METERD_POSTGRES_URL" "$series" "$rounds" "$mode"
        continue
    fi
    log=$(mktemp)
    for ((round = 1; round <= rounds; round++)); do
        for side in before after; do
            if [[ $side == before ]]; then bin=$BEFORE; else bin=$binary; fi
            echo "--- $mode round $round: $side"
            out=$("$bin" "$METERD_POSTGRES_URL" "$series" 1 "$mode")
            echo "$out"
            echo "$out" | awk -v side="$side" '/ median / { name = $0; sub(/ +median.*/, "", name); m = $0
                                                          sub(/.*median /, "", m); sub(/ ms.*/, "", m); print side "|" name "|" m }' >>"$log"
        done
    done
    echo "=== $mode: medians over $rounds alternated rounds (ms), load now: $(cut -d' ' -f1-3 /proc/loadavg)"
    awk -F'|' '{ v[$2 "|" $1] = v[$2 "|" $1] " " $3; names[$2] = 1 }
        function median(list,   n, a, i, j, t) {
            n = split(list, a, " ")
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END {
            for (name in names) {
                b = median(v[name "|before"]); a = median(v[name "|after"])
                printf "%-22s before %6d   after %6d   ratio %.2fx   (before:%s; after:%s)\n", name, b, a, b / a, v[name "|before"], v[name "|after"]
            }
        }' "$log" | sort
    rm -f "$log"
done
