import Benchmark

// The WAL suite: durable append throughput with group commit, the write(2) baseline it is
// compared with, fdatasync latency on this disk, and CRC32C speed. See docs/benchmarks.md, "WAL".
//
// Unlike CoreBenchmarks, an iteration here is I/O-bound and long (milliseconds), so every
// benchmark names its items per iteration in its name (`(items: N)`, read by summarize.py)
// and runs few iterations per round.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 2,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 500
    )
    registerCRC32CBenchmarks()
    registerWriteBaselineBenchmarks()
    registerAppendBenchmarks()
    registerSyncLatencyBenchmarks()
}
