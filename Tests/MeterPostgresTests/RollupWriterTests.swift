import Foundation
import MeterCore
import MeterPostgres
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct RollupWriterTests {
    static let start: Int64 = 1_769_855_400  // 2026-01-31 10:30 UTC: flushes cross a month boundary

    /// Random counter, gauge and set events through the real engine, flushed at random points
    /// in small COPY chunks: the tables equal `RollupTotals` of the same deltas, to the unit.
    @Test(arguments: [1 as UInt64, 2, 3])
    func tablesEqualTotalsOfRandomFlushes(seed: UInt64) throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let writer = RollupWriter(connection: connection, rowsPerChunk: 7)
            let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: seed))
            let worker = engine.makeWorker(policy: .drop)
            var random = SplitMix64(seed: seed)
            var totals = RollupTotals()
            var now = Self.start
            var position: Int64 = 0
            for index in 0..<3_000 {
                now += Int64.random(in: 0...40, using: &random)
                let line = EventLines.random(index: index, now: now, using: &random)
                line.utf8CString.dropLast().withUnsafeBytes { _ = worker.ingest(line: $0, now: now) }
                position += 1
                if Int.random(in: 0..<150, using: &random) == 0 || index == 2_999 {
                    worker.publish()
                    var deltas: [RollupDelta] = []
                    engine.drainAndCollectDeltas(now: now, into: &deltas)
                    totals.apply(deltas)
                    try writer.write(deltas, checkpoint: ("test-\(seed)", position))
                }
            }
            #expect(try writer.checkpoint(instance: "test-\(seed)") == position)
            let stored = try RollupRows.read(connection)
            let expected = RollupRows.expected(totals)
            #expect(stored.count == expected.count)
            #expect(stored == expected)
            // The run exercised every type and merge rule.
            #expect(expected.count > 100)
            #expect(expected.contains { $0.key.contains("|g|") && !$0.value.hasPrefix("0|") && $0.value.split(separator: "|")[2] != "0" })
            #expect(expected.contains { $0.key.contains("|s|") && $0.value.split(separator: "|")[7] != "0" })
            #expect(expected.contains { $0.key.contains("|c|") && $0.value.split(separator: "|")[1].contains(".") })
        }
    }

    /// A statement failing in the middle of a write (here the daily upsert, after the hourly one
    /// ran) leaves neither the rows nor the new checkpoint.
    @Test func failingStatementCommitsNeitherRowsNorCheckpoint() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let writer = RollupWriter(connection: connection, rowsPerChunk: 2)
            try writer.write(EventLines.deltas(["api.calls:1|c|#tenant:acme"], now: Self.start), checkpoint: ("a", 10))
            try connection.execute("""
                CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.tenant = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$
                """)
            try connection.execute("CREATE TRIGGER poison BEFORE INSERT ON meterd.usage_daily FOR EACH ROW EXECUTE FUNCTION poison()")
            let before = try RollupRows.read(connection)
            let deltas = EventLines.deltas([
                "api.calls:5|c|#tenant:acme", "api.calls:1|c|#tenant:globex", "api.calls:1|c|#tenant:initech",
                "api.calls:1|c|#tenant:poison", "providers:dr-1|s|#tenant:acme",
            ], now: Self.start)
            let error = try #require(throws: PostgresError.self) {
                try writer.write(deltas, checkpoint: ("a", 20))
            }
            #expect(error.sqlState == "P0001")
            #expect(try RollupRows.read(connection) == before)
            #expect(try writer.checkpoint(instance: "a") == 10)
            #expect(try connection.execute("SELECT count(*) FROM meterd.set_members").rows[0][0] == "0")
        }
    }

    /// Two instances (or a replay) flush the same set members for the same bucket: each member
    /// counts once.
    @Test func setMembersAcrossWritesAreNotDoubleCounted() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let writer = RollupWriter(connection: connection)
            let first = EventLines.deltas(["providers:dr-1|s|#tenant:acme", "providers:dr-2|s|#tenant:acme"], now: Self.start)
            let second = EventLines.deltas(["providers:dr-2|s|#tenant:acme", "providers:dr-3|s|#tenant:acme"], now: Self.start)
            try writer.write(first, checkpoint: ("a", 2))
            try writer.write(second, checkpoint: ("b", 2))
            try writer.write(second, checkpoint: ("b", 2))  // a replay of the same flush
            for table in ["usage_hourly", "usage_daily", "usage_monthly"] {
                let row = try connection.execute("SELECT uniques, quantity, events FROM meterd.\(table)").rows
                #expect(row.count == 1)
                #expect(row.first?[0] == "3")
                #expect(row.first?[1] == "3")
                #expect(row.first?[2] == "6", "events are additive; only members deduplicate")
            }
        }
    }

    /// Flush throughput: about 100k changed rows in one write (debug build; see docs/schema.md).
    @Test func flushOfOneHundredThousandRows() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            var configuration = EngineConfiguration()
            configuration.aggregatorLimits.maxSeriesPerTenant = 100_000
            let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
            let worker = engine.makeWorker(policy: .drop)
            var deltas: [RollupDelta] = []
            for index in 0..<33_334 {
                let line = "ai.tokens:\(index).25|c|#tenant:t\(index % 40),model:m\(index % 997),region:r\(index % 37)"
                line.utf8CString.dropLast().withUnsafeBytes { _ = worker.ingest(line: $0, now: Self.start) }
            }
            worker.publish()
            engine.drainAndCollectDeltas(now: Self.start, into: &deltas)
            #expect(deltas.count >= 100_000)
            let writer = RollupWriter(connection: connection)
            let clock = ContinuousClock()
            let encoding = try clock.measure {
                _ = try RollupWriter.encodedCopyBytes(deltas, rowsPerChunk: writer.rowsPerChunk)
            }
            print("flush: client-side folding and encoding alone: \(encoding)")
            var summary = RollupWriter.Summary()
            let elapsed = try clock.measure { summary = try writer.write(deltas, checkpoint: ("bulk", 1)) }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("flush: \(summary.rows) rows in \(summary.statements) statements, \(elapsed), \(Int(Double(summary.rows) / seconds)) rows/s")
            #expect(try connection.execute("SELECT count(*) FROM meterd.usage_hourly").rows[0][0] == "33334")
            // Flushing the same rows again updates instead of inserting.
            let again = try clock.measure { try writer.write(deltas, checkpoint: ("bulk", 2)) }
            print("flush again (all conflicts): \(again)")
        }
    }
}

/// Event lines for the tests, and deltas made from them by a real engine.
enum EventLines {
    static func random(index: Int, now: Int64, using random: inout SplitMix64) -> String {
        let tenant = "t\(Int.random(in: 0..<3, using: &random))"
        let time = now - Int64.random(in: 0...7_200, using: &random)
        let model = ["a", "b", "c"].randomElement(using: &random)!
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            let value = "\(Int.random(in: -5...500, using: &random)).\(Int.random(in: 0...999_999, using: &random))"
            let id = Bool.random(using: &random) ? ",id:r\(Int.random(in: 0..<400, using: &random))" : ""
            return "api.calls:\(value)|c|#tenant:\(tenant),model:\(model)\(id)|T\(time)"
        case 1:
            let value = "\(Int.random(in: 0...90, using: &random)).\(Int.random(in: 0...99, using: &random))"
            return "storage.gb:\(value)|g|#tenant:\(tenant),region:eu|T\(time)"
        default:
            return "providers:dr-\(Int.random(in: 0..<50, using: &random))|s|#tenant:\(tenant)|T\(time)"
        }
    }

    static func deltas(_ lines: [String], now: Int64, seed: UInt64 = 5) -> [RollupDelta] {
        let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: seed))
        let worker = engine.makeWorker(policy: .drop)
        for line in lines {
            let refusal = line.utf8CString.dropLast().withUnsafeBytes { worker.ingest(line: $0, now: now) }
            precondition(refusal == nil, "test line refused: \(line)")
        }
        worker.publish()
        var deltas: [RollupDelta] = []
        engine.drainAndCollectDeltas(now: now, into: &deltas)
        return deltas
    }
}

/// Rollup rows as comparable text: "grain|tenant|metric|type|k=v,...|bucket" -> values.
enum RollupRows {
    static func read(_ connection: PostgresConnection) throws -> [String: String] {
        var rows: [String: String] = [:]
        for grain in Grain.finestFirst {
            let result = try connection.execute("""
                SELECT tenant, metric, type,
                       coalesce((SELECT string_agg(key || '=' || value, ',' ORDER BY key COLLATE "C")
                                 FROM jsonb_each_text(dimensions)), ''),
                       extract(epoch FROM bucket)::bigint, events, trim_scale(sum), trim_scale(integral),
                       trim_scale(minimum), trim_scale(maximum), trim_scale(latest),
                       extract(epoch FROM latest_time)::bigint, uniques
                FROM \(RollupTable.name(grain))
                """)
            for row in result.rows {
                let key = "\(grain.name)|" + row[0..<5].map { $0 ?? "nil" }.joined(separator: "|")
                rows[key] = row[5...].map { $0 ?? "nil" }.joined(separator: "|")
            }
        }
        return rows
    }

    static func expected(_ totals: RollupTotals) -> [String: String] {
        var rows: [String: String] = [:]
        for (key, value) in totals.rows {
            let decoded = key.seriesKey.withUnsafeBytes { SeriesKey.decode($0) }!
            let dimensions = decoded.dimensions.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
                .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let rowKey = [key.grain.name, decoded.tenant, decoded.metric, String(decoded.type.wireLetter), dimensions,
                          String(key.bucketStart)].joined(separator: "|")
            rows[rowKey] = [String(value.events), value.sum.description, value.integral.description,
                            value.minimum?.description ?? "nil", value.maximum?.description ?? "nil",
                            value.latest?.description ?? "nil",
                            value.latest == nil ? "nil" : String(value.latestTime), String(value.unique)]
                .joined(separator: "|")
        }
        return rows
    }
}
