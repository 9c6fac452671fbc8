import Benchmark
import MeterCore

/// One batch of 1000 encoded events pushed into a shard and drained out again: the cost the
/// ring adds per event (two bulk copies and two lock acquisitions per 1000 events).
func registerShardedRingBenchmarks() {
    let hasher = ByteHasher(seed: 42)
    let batch = LineCorpus(seriesCount: 1_000).encodedBatches(hasher: hasher)[0]
    let ring = ShardedRing(shardCount: 8, bytesPerShard: 1 << 20)
    let drained = RecordBatch(capacity: batch.capacity)
    Benchmark("ShardedRing.push+drain") { benchmark in
        for iteration in benchmark.scaledIterations where iteration == 0 {
            let outcome = ring.push(batch, toShard: 3)
            precondition(outcome.isComplete, "the shard must take a whole batch")
            drained.removeAll()
            let count = ring.drain(shard: 3, into: drained)
            precondition(count == itemsPerIteration, "the drain must return the whole batch")
        }
        blackHole(drained.bytes)
    }
}
