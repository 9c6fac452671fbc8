import Benchmark

// The suite's entry point: the BenchmarkPlugin generates a `@main` that calls `benchmarks()`.
// Each concern registers its benchmarks from its own `<Type>+Benchmarks.swift` file; adding
// a benchmark for a new MeterCore type is a new file plus one line below.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .microbenchmark

    registerBaselineBenchmarks()
    registerQuantityBenchmarks()
    registerEventRecordBenchmarks()
    registerRecordBatchBenchmarks()
    registerByteHasherBenchmarks()
    registerGrainBenchmarks()
    registerLineParserBenchmarks()
    registerShardedRingBenchmarks()
    registerShardAggregatorBenchmarks()
    registerShardUsageTapBenchmarks()
    registerPipelineBenchmarks()
}
