import Benchmark
import MeterCore

/// The quota tracking's cost on the aggregation path (docs/quotas.md): the aggregator of
/// `ShardAggregator.aggregate 100k series` with a usage tap attached, once with no tenant
/// counted (one array read per event) and once with every tenant counted (the hour slot added
/// to, and the tap's counts taken every 64 batches: a busy shard turn drains at most 64 batches,
/// and the shard loop hands the counts on at most every 100 ms).
func registerShardUsageTapBenchmarks() {
    for counted in [false, true] {
        let seriesCount = 100_000
        let hasher = ByteHasher(seed: 42)
        let batches = LineCorpus(seriesCount: seriesCount).encodedBatches(hasher: hasher)
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 100
        let aggregator = ShardAggregator(limits: limits, hasher: hasher, limiter: CardinalityLimiter(limits: limits, hasher: hasher),
                                         dedupWindowSeconds: 86_400, dedupMaxEntries: 1_000_000)
        var counts = AggregateCounts()
        for batch in batches { aggregator.aggregate(batch, counts: &counts) }
        let tap = ShardUsageTap()
        aggregator.attach(tap: tap)
        if counted {
            for tenant in 0..<(seriesCount / LineCorpus.metricsPerTenant) { tap.setEpoch(1, tenant: "clinic-\(tenant)") }
        }
        var iteration = 0
        Benchmark("ShardAggregator.aggregate 100k series, usage tap, \(counted ? "every tenant" : "no tenant") counted") { benchmark in
            for item in benchmark.scaledIterations where item == 0 {
                aggregator.aggregate(batches[iteration % batches.count], counts: &counts)
                iteration += 1
                if iteration % 64 == 0 { blackHole(tap.take().count) }
            }
            blackHole(counts.accepted)
        }
    }
}
