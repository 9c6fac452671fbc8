#!/usr/bin/env python3
"""Prints the latency percentiles of some benchmarks from the raw output of run.sh.

summarize.py quotes p50 only; for latencies (fdatasync, one acknowledgement) the tail matters
too. For each benchmark whose name matches REGEX: per round p50, p90, p99 of the wall clock per
iteration, and the median over rounds of each.

Usage: percentiles.py RAW_OUTPUT REGEX
"""
import re
import statistics
import sys

ROW = "Time (wall clock) (ns)"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pattern = re.compile(sys.argv[2])
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
    found = {}
    benchmark = None
    in_round = False
    for index, line in enumerate(lines):
        if line.startswith("=== round "):
            in_round = True
        if not in_round:
            continue
        if index + 1 < len(lines) and lines[index + 1].startswith("╒") and line.strip():
            benchmark = line.strip()
            continue
        if line.startswith("│") and benchmark and pattern.search(benchmark):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            if len(cells) == 9 and cells[0] == ROW:
                p50, p90, p99 = (float(cells[i]) for i in (3, 5, 6))
                found.setdefault(benchmark, []).append((p50, p90, p99))
    if not found:
        sys.exit("percentiles: no matching benchmark tables")
    print("| benchmark | rounds | p50 | p90 | p99 |")
    print("|---|---:|---:|---:|---:|")
    for name, rounds in found.items():
        medians = [statistics.median(r[i] for r in rounds) / 1000 for i in range(3)]
        print(f"| {name} | {len(rounds)} | {medians[0]:.0f} µs | {medians[1]:.0f} µs | {medians[2]:.0f} µs |")


if __name__ == "__main__":
    main()
