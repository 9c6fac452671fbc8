import MeterCore
import Testing

/// Seeded property tests: the sharded aggregator, flushed at random moments, must produce
/// rollups equal to the reference model's, for any interleaving of events and flushes.
@Suite struct AggregationPropertyTests {
    static let hour: Int64 = 3_600
    static let start: Int64 = 1_767_225_600 - 40 * 86_400  // late November 2025: crosses a month and a year end

    struct Scenario {
        var events: [TestEvent] = []
    }

    /// Random events over about three months of arrival time, each stamped within the
    /// lateness bound before its arrival or slightly after it.
    static func scenario(seed: UInt64, count: Int, limits: AggregatorLimits) -> Scenario {
        var random = SeededGenerator(seed: seed)
        var scenario = Scenario()
        var now = start
        let tenants = ["acme", "globex", "initech"]
        let metrics: [(String, MetricType)] = [("ai.tokens", .counter), ("storage.gb", .gauge), ("providers.active", .set), ("sms.sent", .counter)]
        for _ in 0..<count {
            now += Int64.random(in: 0...(6 * hour), using: &random)
            let (metric, type) = metrics.randomElement(using: &random)!
            var event = TestEvent(tenant: tenants.randomElement(using: &random)!, metric: metric, type: type,
                                  timestamp: now - Int64.random(in: -300...limits.maxLatenessSeconds, using: &random),
                                  receivedAt: now)
            switch type {
            case .counter: event.value = Int64.random(in: 0...5_000_000_000, using: &random)
            case .gauge: event.value = Int64.random(in: -1_000_000...900_000_000, using: &random)
            case .set: event.member = "provider-\(Int.random(in: 0..<40, using: &random))"
            }
            if Bool.random(using: &random) {
                event.dimensions = [("model", ["gpt-x", "claude", "llama"].randomElement(using: &random)!)]
            }
            if Int.random(in: 0..<4, using: &random) == 0 {
                // A small id space, so retries (duplicates) are frequent.
                event.id = "req-\(Int.random(in: 0..<200, using: &random))"
            }
            scenario.events.append(event)
        }
        return scenario
    }

    /// Runs `scenario` through `shardCount` aggregators, flushing with probability `flushChance`
    /// after each event, and returns the merged rollups and outcome counts.
    static func run(_ scenario: Scenario, shardCount: Int, flushChance: Double, seed: UInt64,
                    limits: AggregatorLimits) -> (RollupTotals, AggregateCounts) {
        var random = SeededGenerator(seed: seed)
        let hasher = ByteHasher(seed: seed)
        let limiter = CardinalityLimiter(limits: limits, hasher: hasher)
        let shards = (0..<shardCount).map { _ in
            ShardAggregator(limits: limits, hasher: hasher, limiter: limiter,
                            dedupWindowSeconds: 400 * 86_400, dedupMaxEntries: 1_000_000)
        }
        let batches = (0..<shardCount).map { _ in RecordBatch(capacity: 1 << 16) }
        var totals = RollupTotals()
        var counts = AggregateCounts()
        var deltas: [RollupDelta] = []
        func flush(now: Int64) {
            for (shard, batch) in zip(shards, batches) {
                shard.aggregate(batch, counts: &counts)
                batch.removeAll()
                shard.collectDeltas(now: now, into: &deltas)
            }
            totals.apply(deltas)
            deltas.removeAll()
        }
        for event in scenario.events {
            // Route by tenant and metric, as the ring does.
            var key = Array(event.tenant.utf8)
            key.append(contentsOf: event.metric.utf8)
            let shard = Int(key.withUnsafeBytes { hasher.hash($0) } % UInt64(shardCount))
            if !event.append(to: batches[shard], hasher: hasher) {
                // A full batch is drained into its aggregator, as the ring's consumer would.
                shards[shard].aggregate(batches[shard], counts: &counts)
                batches[shard].removeAll()
                let appended = event.append(to: batches[shard], hasher: hasher)
                precondition(appended, "an event larger than a whole batch")
            }
            if Double.random(in: 0..<1, using: &random) < flushChance { flush(now: event.receivedAt) }
        }
        flush(now: (scenario.events.last?.receivedAt ?? start) + 1)
        return (totals, counts)
    }

    static func compare(_ totals: RollupTotals, _ model: ReferenceModel) {
        var actual: [ReferenceModel.RowID: RollupValue] = [:]
        for (key, value) in totals.rows {
            let decoded = key.seriesKey.withUnsafeBytes { SeriesKey.decode($0) }!
            let series = ReferenceModel.SeriesID(tenant: decoded.tenant, metric: decoded.metric, type: decoded.type,
                                                 dimensions: decoded.dimensions.map { "\($0.key)=\($0.value)" })
            actual[.init(series: series, grain: key.grain, bucketStart: key.bucketStart)] = value
        }
        let expected = model.rows.filter { $0.value != ReferenceModel.Row() }
        let produced = actual.filter { $0.value.events != 0 || $0.value.integral != .zero || $0.value.unique != 0 }
        let missing = Set(expected.keys).subtracting(produced.keys)
        let extra = Set(produced.keys).subtracting(expected.keys)
        #expect(missing.isEmpty, "\(missing.count) rows missing, e.g. \(String(describing: missing.first))")
        #expect(extra.isEmpty, "\(extra.count) unexpected rows, e.g. \(String(describing: extra.first))")
        var mismatches: [String] = []
        func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { mismatches.append(what()) } }
        for (id, row) in expected {
            guard let value = produced[id] else { continue }
            let name = "\(id.series.tenant)/\(id.series.metric)\(id.series.dimensions) \(id.grain.name)@\(id.bucketStart)"
            check(value.events == row.events, "events \(name): \(value.events) != \(row.events)")
            switch id.series.type {
            case .counter:
                check(value.sum.units == row.sum, "sum \(name): \(value.sum.units) != \(row.sum)")
            case .gauge:
                check(value.integral.units == row.integral, "integral \(name): \(value.integral.units) != \(row.integral)")
                check(value.minimum?.units == row.minimum, "min \(name)")
                check(value.maximum?.units == row.maximum, "max \(name)")
                check(value.latest?.units == row.latest, "latest \(name)")
            case .set:
                check(value.unique == row.members.count, "unique \(name): \(value.unique) != \(row.members.count)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatched rows: \(mismatches.prefix(5).joined(separator: "; "))")
    }

    @Test(arguments: [(UInt64(1), 1), (2, 2), (3, 4), (4, 3), (5, 8)])
    func matchesReferenceModel(seed: UInt64, shardCount: Int) {
        let limits = AggregatorLimits()
        let scenario = Self.scenario(seed: seed, count: 3_000, limits: limits)
        var model = ReferenceModel(gaugeMaxCarrySeconds: limits.gaugeMaxCarrySeconds)
        let counted = scenario.events.filter { model.apply($0) }.count
        model.finish(now: (scenario.events.last?.receivedAt ?? Self.start) + 1, latenessSeconds: limits.maxLatenessSeconds,
                     marginSeconds: ShardAggregator.retirementMarginSeconds)
        let (totals, counts) = Self.run(scenario, shardCount: shardCount, flushChance: 0.05, seed: seed, limits: limits)
        #expect(counts.accepted == counted)
        #expect(counts.duplicates == scenario.events.count - counted)
        #expect(counts.refusals.total == 0)
        Self.compare(totals, model)
    }

    static func differences(_ a: RollupTotals, _ b: RollupTotals) -> [String] {
        var result: [String] = []
        for key in Set(a.rows.keys).union(b.rows.keys) where a.rows[key] != b.rows[key] {
            let name = key.seriesKey.withUnsafeBytes { SeriesKey.decode($0) }.map { "\($0.tenant)/\($0.metric)\($0.dimensions.map(\.value))" } ?? "?"
            result.append("\(name) \(key.grain.name)@\(key.bucketStart): \(String(describing: a.rows[key])) vs \(String(describing: b.rows[key]))")
        }
        return result
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func flushPointsDoNotChangeTotals(seed: UInt64) {
        let limits = AggregatorLimits()
        let scenario = Self.scenario(seed: seed, count: 2_000, limits: limits)
        let (once, _) = Self.run(scenario, shardCount: 2, flushChance: 0, seed: seed, limits: limits)
        let (often, _) = Self.run(scenario, shardCount: 2, flushChance: 0.5, seed: seed, limits: limits)
        let (always, _) = Self.run(scenario, shardCount: 2, flushChance: 1, seed: seed, limits: limits)
        #expect(Self.differences(once, often).isEmpty, "\(Self.differences(once, often).prefix(3))")
        #expect(Self.differences(once, always).isEmpty, "\(Self.differences(once, always).prefix(3))")
    }
}
