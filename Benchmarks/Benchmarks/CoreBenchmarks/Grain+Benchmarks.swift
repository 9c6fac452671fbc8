import Benchmark
import MeterCore

/// `Grain.month.bucketStart`: the civil-date round trip every event pays for the month rollup.
func registerGrainBenchmarks() {
    // Event times spread over 2024-01-01 ..< 2028-01-01, so leap years and every month occur.
    var generator = SeededGenerator(seed: 0x6772_6169_6E)
    let start: Int64 = 1_704_067_200
    let span: Int64 = 4 * 365 * 86_400 + 86_400
    let times = (0..<itemsPerIteration).map { _ in start + Int64.random(in: 0..<span, using: &generator) }

    Benchmark("Grain.month bucketStart") { benchmark in
        var total: Int64 = 0
        times.withUnsafeBufferPointer { times in
            for index in benchmark.scaledIterations {
                total &+= Grain.month.bucketStart(containing: times[index])
            }
        }
        blackHole(total)
    }
}
