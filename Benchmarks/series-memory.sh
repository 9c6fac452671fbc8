#!/usr/bin/env bash
# Prints the resident bytes per live series for each metric type and table size, one process
# per measurement (see Tools/SeriesMemory/main.swift). Usage: Benchmarks/series-memory.sh
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --product SeriesMemory >/dev/null
binary="$(swift build -c release --show-bin-path)/SeriesMemory"
echo "| series | counter B/series | gauge B/series | set (1 member) B/series |"
echo "|---:|---:|---:|---:|"
for count in 10000 100000 1000000; do
    echo "| $count | $("$binary" "$count" counter) | $("$binary" "$count" gauge) | $("$binary" "$count" set) |"
done
