import Benchmark
import MeterCore

/// `Quantity.parse` on the value shapes that dominate real traffic: a small whole number, a short
/// fraction, and a long value using every fractional digit.
func registerQuantityBenchmarks() {
    for text in ["1", "0.25", "12345.678901"] {
        // Each item parses its own copy of the text, so no work is shared between items.
        let inputs = ByteSlots(repeating: Array(text.utf8), count: itemsPerIteration, stride: 16)
        var expected: Int64 = 0
        if case .success(let quantity) = Quantity.parse(inputs[0]) { expected = quantity.units }
        precondition(expected != 0, "Quantity.parse fixture '\(text)' must parse")

        Benchmark("Quantity.parse \(text)") { benchmark in
            var total: Int64 = 0
            for index in benchmark.scaledIterations {
                if case .success(let quantity) = Quantity.parse(inputs[index]) {
                    total &+= quantity.units
                }
            }
            blackHole(total)
            precondition(total == expected &* Int64(itemsPerIteration), "Quantity.parse refused a fixture")
        }
    }
}
