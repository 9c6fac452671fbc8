#!/usr/bin/env bash
# Builds the benchmark suites in release mode, runs them in rounds, and summarizes the medians.
#
# Usage: Benchmarks/run.sh [NAME] [-- PLUGIN-ARGS...]
#   NAME         label of the raw output file, results/<date>-<NAME>.txt (default: run)
#   PLUGIN-ARGS  passed on to `swift package benchmark run`, e.g. --target CoreBenchmarks or
#                --filter 'Quantity.*' (both are regexes that must match the WHOLE name)
# Environment:
#   ROUNDS       full passes over the suites (default 10; one pass of CoreBenchmarks takes ~5 s)
#   BASELINE     the benchmark the ratios are taken against (default: summarize.py's,
#                Baseline.copy record 100B; the WAL suite has its own, see docs/benchmarks.md)
#
# Why rounds: on a shared 2-core machine the neighbours' load changes from minute to minute.
# Each benchmark runs briefly (at most 10k iterations or 1 s) in each of ten passes, and the
# summary quotes the median over passes of each p50, plus its ratio to a baseline measured in the
# same pass. See docs/benchmarks.md.
set -euo pipefail

cd "$(dirname "$0")"

name=run
if [[ $# -gt 0 && $1 != -* ]]; then
    name=$1
    shift
fi
[[ ${1:-} == "--" ]] && shift
rounds=${ROUNDS:-10}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }

mkdir -p results
out="results/$(date -u +%Y-%m-%d-%H%M%S)-$name.txt"

machine() {
    echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit:    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- .. 2>/dev/null || echo ' (with local changes)')"
    echo "cores:     $(nproc)"
    echo "cpu:       $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:    $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel:    $(uname -sr)"
    echo "swift:     $(swift --version 2>&1 | grep -m1 -i 'swift version')"
    echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
    echo "rounds:    $rounds"
    echo "arguments: ${*:-(all suites)}"
}

{
    echo "=== machine"
    machine "$@"
} | tee "$out"

# `benchmark list` builds the plugin's tools and the suites in release mode (compiler errors are
# shown), so every round below costs the same.
echo "=== build (release)" | tee -a "$out"
start=$SECONDS
if ! swift package --disable-sandbox benchmark list "$@" >>"$out" 2>&1; then
    grep -E 'error:' "$out" >&2 || true
    echo "build failed, see $out" >&2
    exit 1
fi
echo "build: $((SECONDS - start)) s" | tee -a "$out"

start=$SECONDS
for round in $(seq 1 "$rounds"); do
    echo "=== round $round of $rounds" | tee -a "$out"
    round_start=$SECONDS
    if ! swift package --disable-sandbox benchmark run --no-progress --scale "$@" >>"$out" 2>&1; then
        echo "round $round failed, see $out" >&2
        exit 1
    fi
    echo "round $round: $((SECONDS - round_start)) s" | tee -a "$out"
done
echo "run: $((SECONDS - start)) s, load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"

echo "=== summary" | tee -a "$out"
python3 summarize.py "$out" ${BASELINE:+--baseline "$BASELINE"} | tee -a "$out"
echo
echo "raw output: Benchmarks/$out"
