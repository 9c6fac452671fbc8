import Benchmark
import MeterCore

/// Aggregating pre-encoded events into one shard's aggregator (hour, day and month buckets per
/// event), with 1k and 100k live series. The warm-up creates every series and bucket, so the
/// measured iterations are the steady state, which must not allocate.
func registerShardAggregatorBenchmarks() {
    for seriesCount in [1_000, 100_000] {
        let hasher = ByteHasher(seed: 42)
        let batches = LineCorpus(seriesCount: seriesCount).encodedBatches(hasher: hasher)
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 100
        let limiter = CardinalityLimiter(limits: limits, hasher: hasher)
        let aggregator = ShardAggregator(limits: limits, hasher: hasher, limiter: limiter,
                                         dedupWindowSeconds: 86_400, dedupMaxEntries: 1_000_000)
        // Create every series before measuring.
        var counts = AggregateCounts()
        for batch in batches { aggregator.aggregate(batch, counts: &counts) }
        precondition(aggregator.seriesCount == seriesCount && counts.accepted == seriesCount)

        var iteration = 0
        Benchmark("ShardAggregator.aggregate \(seriesCount / 1_000)k series") { benchmark in
            for item in benchmark.scaledIterations where item == 0 {
                aggregator.aggregate(batches[iteration % batches.count], counts: &counts)
                iteration += 1
            }
            blackHole(counts.accepted)
        }
    }
}
