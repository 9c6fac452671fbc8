import Benchmark
import MeterCore

/// The reference every other figure is divided by. On a shared machine absolute times drift with
/// the neighbours' load; a ratio to a trivial operation measured in the same run drifts far less.
///
/// The baseline copies one encoded sample record (100 bytes) into the next slot of a buffer: the
/// least any producer must do per event, so `EventRecord.encode` and `RecordBatch.append` read as
/// "N record copies".
///
/// A second reference allocates and frees a record-sized block per item (`Baseline.allocate`): it prices one heap
/// allocation in the same units, and its malloc count of 1 per item shows the interposer is
/// counting, so the zeros elsewhere in the table are real.
func registerBaselineBenchmarks() {
    let sample = SampleLine()
    let record = UnsafeMutableRawBufferPointer.allocate(byteCount: sample.bodyBytes, alignment: 16)
    EventRecord.encode(sample.line, from: sample.source, receivedAt: SampleLine.eventTime + 1,
                       hasher: ByteHasher(seed: 42), into: record)
    let destination = ByteSlots(count: itemsPerIteration, stride: sample.bodyBytes + RecordBatch.prefixBytes,
                                length: sample.bodyBytes)

    Benchmark("Baseline.copy record 100B") { benchmark in
        for index in benchmark.scaledIterations {
            destination[mutable: index].copyMemory(from: UnsafeRawBufferPointer(record))
        }
        blackHole(destination.all)
    }

    Benchmark("Baseline.allocate 100B") { benchmark in
        for index in benchmark.scaledIterations {
            let block = UnsafeMutableRawPointer.allocate(byteCount: sample.bodyBytes, alignment: 8)
            block.storeBytes(of: index, as: Int.self)
            blackHole(block)
            block.deallocate()
        }
    }
}
