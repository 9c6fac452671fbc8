import MeterCore

/// Realistic traffic for the engine benchmarks: `seriesCount` distinct series (tenants x 10
/// metrics, two dimensions each), one line per series, shuffled with a fixed seed and cut into
/// chunks of `itemsPerIteration` newline-terminated lines. Iteration `i` processes chunk
/// `i % chunkCount`, so every series is touched once per `chunkCount` iterations and lookups
/// miss the cache the way a large table does.
final class LineCorpus {
    static let metricsPerTenant = 10
    /// 2025-11-13T02:13:20Z: every line arrives (and is stamped) at this instant, so after the
    /// warm-up the aggregator runs in steady state: all series and buckets exist.
    static let now: Int64 = 1_763_000_000

    let seriesCount: Int
    let chunks: [ByteSlots]

    init(seriesCount: Int) {
        precondition(seriesCount % itemsPerIteration == 0 && seriesCount % LineCorpus.metricsPerTenant == 0)
        self.seriesCount = seriesCount
        let tenants = seriesCount / LineCorpus.metricsPerTenant
        let metrics = ["ai.tokens", "ai.interactions", "telehealth.minutes", "sms.sent", "whatsapp.sent",
                       "fhir.calls", "storage.requests", "voice.minutes", "email.sent", "scribe.notes"]
        var lines: [[UInt8]] = []
        lines.reserveCapacity(seriesCount)
        for tenant in 0..<tenants {
            for metric in metrics {
                lines.append(Array("\(metric):1234.5|c|#tenant:clinic-\(tenant),model:gpt-x,channel:api\n".utf8))
            }
        }
        var random = SeededGenerator(seed: 0xC0FFEE)
        lines.shuffle(using: &random)
        chunks = stride(from: 0, to: lines.count, by: itemsPerIteration).map { start in
            let chunk = Array(lines[start ..< start + itemsPerIteration].joined())
            return ByteSlots(repeating: chunk, count: 1)
        }
    }

    func chunk(_ iteration: Int) -> UnsafeRawBufferPointer { chunks[iteration % chunks.count][0] }

    /// Every chunk parsed and encoded into one record batch each, as producers would push them.
    func encodedBatches(hasher: ByteHasher) -> [RecordBatch] {
        let parser = LineParser(limits: ProtocolLimits())
        var parsed = parser.makeParsedLine()
        return chunks.indices.map { index in
            let batch = RecordBatch(capacity: itemsPerIteration * 256)
            LineSplitter.forEachLine(in: chunk(index)) { line in
                precondition(parser.parse(line, now: LineCorpus.now, into: &parsed) == nil, "corpus line refused")
                batch.append(bodyBytes: EventRecord.bodyBytes(of: parsed)) { body in
                    EventRecord.encode(parsed, from: line, receivedAt: LineCorpus.now, hasher: hasher, into: body)
                }
            }
            return batch
        }
    }
}
