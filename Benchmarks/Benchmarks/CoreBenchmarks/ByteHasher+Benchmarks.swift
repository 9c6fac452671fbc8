import Benchmark
import MeterCore

/// `ByteHasher.hash` of a 40-byte key, about the size of a series key (tenant, metric, two tags).
func registerByteHasherBenchmarks() {
    var generator = SeededGenerator(seed: 0x6D65_7465_7264)
    let keys = ByteSlots(count: itemsPerIteration, stride: 40, length: 40)
    for index in 0..<itemsPerIteration {
        for offset in stride(from: 0, to: 40, by: 8) {
            keys[mutable: index].storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
        }
    }
    let hasher = ByteHasher(seed: 42)

    Benchmark("ByteHasher.hash 40B") { benchmark in
        var total: UInt64 = 0
        for index in benchmark.scaledIterations {
            total &+= hasher.hash(keys[index])
        }
        blackHole(total)
    }
}
