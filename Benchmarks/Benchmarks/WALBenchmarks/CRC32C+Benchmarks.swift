import Benchmark
import MeterWAL

/// CRC32C over one 64 KiB payload: the CPU instruction (used when present) and the portable
/// slicing-by-8 fallback. GB/s = 65536 / ns per item.
func registerCRC32CBenchmarks() {
    let bytes = benchmarkPayload(bytes: 64 << 10)
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], timeUnits: .nanoseconds, warmupIterations: 20,
        scalingFactor: .one, maxDuration: .seconds(1), maxIterations: 10_000)
    if CRC32C.usesHardware {
        Benchmark("CRC32C.hardware 64KiB (items: 1)", configuration: configuration) { _ in
            blackHole(bytes.withUnsafeBytes { CRC32C.hardware($0) })
        }
    }
    Benchmark("CRC32C.software 64KiB (items: 1)", configuration: configuration) { _ in
        blackHole(bytes.withUnsafeBytes { CRC32C.software($0) })
    }
}
