import Benchmark

/// Items processed by one benchmark iteration. Every benchmark in this suite loops over
/// `benchmark.scaledIterations` and sizes its fixtures with this, so the plugin's scaled
/// (`*`) figures read per item.
let itemsPerIteration = BenchmarkScalingFactor.kilo.rawValue

extension Benchmark.Configuration {
    /// The settings shared by the per-item micro-benchmarks.
    ///
    /// - Metrics: wall clock (reported per item), throughput (items/s) and malloc calls (per item,
    ///   counted by the malloc interposer). `cpuTotal` is deliberately absent: on Linux it comes from
    ///   /proc in scheduler ticks (10 ms), so a 10 µs iteration reads as 0 or 10 ms, and reading /proc
    ///   twice per iteration slows the run several-fold.
    /// - Time in nanoseconds, fixed, so `--scale` output (one iteration = 1000 items) gives ns per
    ///   1000 items, i.e. picoseconds per item, which `run.sh` turns into the summary.
    /// - Iterations: bounded by time and by count, so one benchmark takes about a second even on a
    ///   busy shared machine. `run.sh` repeats the whole suite in rounds instead of running longer.
    static var microbenchmark: Benchmark.Configuration {
        .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            timeUnits: .nanoseconds,
            warmupIterations: 200,
            scalingFactor: .kilo,
            maxDuration: .seconds(1),
            maxIterations: 10_000
        )
    }
}
