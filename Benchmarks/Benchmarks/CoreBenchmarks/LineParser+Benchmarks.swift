import Benchmark
import MeterCore

/// Splitting a buffer into lines and parsing each, without encoding: the receiving thread's
/// first step. Same corpus shapes as the engine benchmarks.
func registerLineParserBenchmarks() {
    let parser = LineParser(limits: ProtocolLimits())
    let corpus = LineCorpus(seriesCount: 1_000)
    Benchmark("LineParser.parse") { benchmark in
        var parsed = parser.makeParsedLine()
        var accepted = 0
        for iteration in benchmark.scaledIterations where iteration == 0 {
            LineSplitter.forEachLine(in: corpus.chunk(0)) { line in
                if parser.parse(line, now: LineCorpus.now, into: &parsed) == nil { accepted += 1 }
            }
        }
        precondition(accepted == itemsPerIteration, "every corpus line must parse")
        blackHole(parsed)
    }
}
