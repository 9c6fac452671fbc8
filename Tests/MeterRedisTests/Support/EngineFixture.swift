import MeterCore
import MeterRedis

/// Real `RollupDelta`s from real lines: the engine parses, aggregates and emits flush deltas
/// exactly as the daemon will, with no sockets.
final class EngineFixture {
    let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: 42))
    let worker: IngestWorker

    init() { worker = engine.makeWorker(policy: .wait) }

    /// Ingests `text` (newline-separated lines, all of which must be accepted) and returns the
    /// flush deltas since the previous call.
    func flush(_ text: String, now: Int64) -> [RollupDelta] {
        var text = text
        text.withUTF8 { worker.ingest(lines: UnsafeRawBufferPointer($0), now: now) }
        worker.publish()
        precondition(worker.counts.refusals.total == 0, "a fixture line was refused: \(worker.counts.refusals)")
        var deltas: [RollupDelta] = []
        engine.drainAndCollectDeltas(now: now, into: &deltas)
        return deltas
    }
}

/// What one mirror hash must hold: the rollups of every series (all dimension combinations)
/// of one (tenant, metric, type, grain, bucket), merged as docs/redis.md describes.
struct ExpectedHash: Equatable {
    var events: Int64 = 0
    var sumUnits: Int128 = 0
    var unique: Int = 0
    var integral: Int128 = 0
    var latestUnits: Int64?
    var latestTime: Int64 = .min

    static func build(from totals: RollupTotals, keys: LiveCounterKeys) -> [String: ExpectedHash] {
        var expected: [String: ExpectedHash] = [:]
        for (rollup, value) in totals.rows {
            let series = rollup.seriesKey.withUnsafeBytes { SeriesKey.decode($0) }!
            let key = keys.key(tenant: series.tenant, metric: series.metric, type: value.type,
                               grain: rollup.grain, bucketStart: rollup.bucketStart)
            var hash = expected[key, default: ExpectedHash()]
            hash.events += value.events
            hash.sumUnits += value.sum.units
            hash.unique += value.unique
            hash.integral += value.integral.units
            if let latest = value.latest, value.latestTime >= hash.latestTime {
                hash.latestUnits = latest.units
                hash.latestTime = value.latestTime
            }
            expected[key] = hash
        }
        return expected
    }
}
