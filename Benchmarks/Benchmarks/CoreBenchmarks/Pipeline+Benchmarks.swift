import Benchmark
import MeterCore

/// The whole engine on one core: split and parse 1000 lines, encode them into per-shard
/// batches, push them into the 8-shard ring, drain every shard and aggregate. This is the
/// "parse + aggregate" figure of the performance targets (under 150 ns per event).
func registerPipelineBenchmarks() {
    for seriesCount in [1_000, 100_000] {
        let corpus = LineCorpus(seriesCount: seriesCount)
        var configuration = EngineConfiguration()
        configuration.aggregatorLimits.maxSeriesPerTenant = 100
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 42))
        let worker = engine.makeWorker(policy: .drop)
        let consumers = (0..<configuration.shardCount).map { engine.consumer(shard: $0) }
        func run(_ chunk: UnsafeRawBufferPointer) {
            worker.ingest(lines: chunk, now: LineCorpus.now)
            worker.publish()
            for consumer in consumers { consumer.drainAll() }
        }
        // Create every series before measuring.
        for index in corpus.chunks.indices { run(corpus.chunk(index)) }
        precondition(worker.counts.enqueued == seriesCount && worker.counts.droppedRingFull == 0)

        var iteration = 0
        Benchmark("Pipeline.parse+aggregate \(seriesCount / 1_000)k series") { benchmark in
            for item in benchmark.scaledIterations where item == 0 {
                run(corpus.chunk(iteration))
                iteration += 1
            }
            blackHole(worker.counts.enqueued)
        }
    }
}
