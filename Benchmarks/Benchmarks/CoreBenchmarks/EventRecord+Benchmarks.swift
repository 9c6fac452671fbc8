import Benchmark
import MeterCore

/// `EventRecord.encode` of the sample line (3 tags plus an idempotency key, a 100-byte body) into
/// consecutive slots, as a producer fills a batch: header stores, five byte-range copies, and the
/// series-key hash.
func registerEventRecordBenchmarks() {
    let sample = SampleLine()
    let hasher = ByteHasher(seed: 42)
    let bodyBytes = sample.bodyBytes
    let bodies = ByteSlots(count: itemsPerIteration, stride: bodyBytes + RecordBatch.prefixBytes, length: bodyBytes)

    Benchmark("EventRecord.encode") { benchmark in
        for index in benchmark.scaledIterations {
            EventRecord.encode(sample.line, from: sample.source, receivedAt: SampleLine.eventTime + Int64(index),
                               hasher: hasher, into: bodies[mutable: index])
        }
        blackHole(bodies.all)
    }
}
