#!/usr/bin/env python3
"""Summarizes the raw output of run.sh: per-item medians, ratios to the baseline, mallocs per item.

The raw output holds several rounds of `swift package benchmark run --scale`, so every figure
there is per benchmark iteration (not per item) and in nanoseconds (the suites fix
`timeUnits: .nanoseconds`). One iteration processes 1000 items (`scalingFactor: .kilo`) unless
the benchmark carries an `items` tag, which shows in its name as `Name (items: N)`.

For each benchmark: the p50 per item is the median over rounds of that round's p50; the ratio is
the median over rounds of p50 / the baseline's p50 in the same round, which cancels much of the
drift a shared machine adds between rounds.

Usage: summarize.py RAW_OUTPUT [--baseline NAME]
"""
import re
import statistics
import sys

DEFAULT_ITEMS = 1000
DEFAULT_BASELINE = "Baseline.copy record 100B"
TIME_ROW = "Time (wall clock) (ns)"
MALLOC_ROW = "Malloc (total)"


def parse(path):
    """Returns rounds: a list of {(target, benchmark): {row: p50}} in file order."""
    rounds, current = [], None
    target = benchmark = None
    lines = open(path, encoding="utf-8").read().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("=== round "):
            current = {}
            rounds.append(current)
            continue
        if current is None:
            continue
        # A target header is its name between two lines of '='.
        if 0 < index < len(lines) - 1 and re.fullmatch(r"=+", lines[index - 1]) and re.fullmatch(r"=+", lines[index + 1]) and line.strip():
            target = line.strip()
            continue
        # A benchmark name is the line just above its table.
        if index + 1 < len(lines) and lines[index + 1].startswith("╒") and line.strip():
            benchmark = line.strip()
            continue
        if line.startswith("│") and benchmark:
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            if len(cells) == 9 and cells[0] in (TIME_ROW, MALLOC_ROW):
                current.setdefault((target, benchmark), {})[cells[0]] = float(cells[3])  # p0 p25 p50 ...
            elif cells and cells[0].startswith("Time") and cells[0] != TIME_ROW:
                sys.exit(f"summarize: unexpected time unit in '{cells[0]}' ({benchmark}); the suites must fix nanoseconds")
    return [r for r in rounds if r]


def items_per_iteration(benchmark):
    match = re.search(r"\(.*\bitems: (\d+)\b.*\)$", benchmark)
    return int(match.group(1)) if match else DEFAULT_ITEMS


def format_time(ns):
    if ns < 10:
        return f"{ns:.2f} ns"
    if ns < 1000:
        return f"{ns:.1f} ns"
    return f"{ns / 1000:.2f} µs"


def format_rate(per_second):
    if per_second >= 1e6:
        return f"{per_second / 1e6:.0f} M"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.0f} K"
    return f"{per_second:.0f}"


def main():
    args = sys.argv[1:]
    baseline_name = DEFAULT_BASELINE
    if "--baseline" in args:
        at = args.index("--baseline")
        baseline_name = args[at + 1]
        del args[at:at + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    rounds = parse(args[0])
    if not rounds:
        sys.exit("summarize: no benchmark tables found (did every run fail, or did --filter match nothing?)")

    keys = []
    for r in rounds:
        keys += [k for k in r if k not in keys]
    baseline_keys = [k for k in keys if k[1] == baseline_name]
    baseline_key = baseline_keys[0] if baseline_keys else None

    print(f"{len(rounds)} round(s); per item = per benchmark iteration / items per iteration.")
    if baseline_key is None:
        print(f"(baseline '{baseline_name}' not in this run: no ratios)")
    print()
    print("| target | benchmark | p50 per item | items/s | ratio to baseline | mallocs per item | p50 range over rounds |")
    print("|---|---|---:|---:|---:|---:|---|")
    for key in keys:
        target, benchmark = key
        items = items_per_iteration(benchmark)
        times = [r[key][TIME_ROW] / items for r in rounds if TIME_ROW in r.get(key, {})]
        mallocs = [r[key][MALLOC_ROW] / items for r in rounds if MALLOC_ROW in r.get(key, {})]
        ratios = [r[key][TIME_ROW] / items / (r[baseline_key][TIME_ROW] / items_per_iteration(baseline_key[1]))
                  for r in rounds
                  if baseline_key and TIME_ROW in r.get(key, {}) and TIME_ROW in r.get(baseline_key, {})]
        if not times:
            continue
        median = statistics.median(times)
        ratio = f"{statistics.median(ratios):.1f}×" if ratios else "–"
        malloc = f"{statistics.median(mallocs):g}" if mallocs else "–"
        spread = f"{format_time(min(times))} – {format_time(max(times))}"
        print(f"| {target} | {benchmark} | {format_time(median)} | {format_rate(1e9 / median)} | {ratio} | {malloc} | {spread} |")


if __name__ == "__main__":
    main()
