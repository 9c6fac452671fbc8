import Benchmark
import MeterCore

/// The two halves of a batch's life: a producer appending encoded events, and a consumer walking
/// the length-prefixed records.
func registerRecordBatchBenchmarks() {
    let sample = SampleLine()
    let hasher = ByteHasher(seed: 42)
    let bodyBytes = sample.bodyBytes
    let capacity = itemsPerIteration * (bodyBytes + RecordBatch.prefixBytes)

    // Append: empty the batch, then encode 1000 events into it. The batch is allocated once, so
    // this must report zero mallocs.
    let appendBatch = RecordBatch(capacity: capacity)
    Benchmark("RecordBatch.append encode") { benchmark in
        appendBatch.removeAll()
        for index in benchmark.scaledIterations {
            appendBatch.append(bodyBytes: bodyBytes) { body in
                EventRecord.encode(sample.line, from: sample.source, receivedAt: SampleLine.eventTime + Int64(index),
                                   hasher: hasher, into: body)
            }
        }
        precondition(appendBatch.recordCount == itemsPerIteration, "the batch must hold one iteration's records")
        blackHole(appendBatch.bytes)
    }

    // Walk: a full batch of 1000 records; each visit reads the series hash and the value, the
    // fields an aggregator needs first.
    let fullBatch = RecordBatch(capacity: capacity)
    for index in 0..<itemsPerIteration {
        fullBatch.append(bodyBytes: bodyBytes) { body in
            EventRecord.encode(sample.line, from: sample.source, receivedAt: SampleLine.eventTime + Int64(index),
                               hasher: hasher, into: body)
        }
    }
    precondition(fullBatch.recordCount == itemsPerIteration)
    Benchmark("RecordBatch.forEachRecord") { benchmark in
        var total: UInt64 = 0
        fullBatch.forEachRecord { body in
            total &+= body.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
            total &+= body.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        }
        blackHole(total)
    }
}
