import Foundation
import MeterCore
import Testing
@testable import MeterPostgres

/// `meterd.dedup_ids` (migration 5): keys committed with the deltas, idempotent on conflict,
/// expired in bounded steps, read back oldest first; a retried batch after a lost COMMIT
/// answer stays exact.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct DedupIDSQLTests {
    struct LostAnswer: Error {}

    static func ids(_ range: Range<Int>, arrival: (Int) -> Int64, shard: Int = 0) -> SeenIDs {
        var ids = SeenIDs()
        ids.add(shard: shard, range.map { DedupEntry(fingerprint: key($0), arrival: arrival($0)) })
        return ids
    }

    static func key(_ i: Int) -> Fingerprint128 {
        let value = UInt64(truncatingIfNeeded: i)
        return Fingerprint128(high: (value &* 0x9E37_79B9_7F4A_7C15) ^ 0xF0F0, low: value | (1 << 62))
    }

    static func load(_ connection: PostgresConnection, instance: String, since: Int64, pageSize: Int = 100_000) throws -> [DedupIDSQL.Row] {
        var rows: [DedupIDSQL.Row] = []
        try DedupIDSQL.load(on: connection, instance: instance, since: since, pageSize: pageSize) { rows += $0 }
        return rows
    }

    @Test func uuidTextRoundTrips() {
        var builder = PostgresCopyBuilder()
        let key = Fingerprint128(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        builder.appendUUID(high: key.high, low: key.low)
        let text = String(decoding: builder.bytes, as: UTF8.self)
        #expect(DedupIDSQL.parseUUID(text) == key)
        #expect(DedupIDSQL.parseUUID("0123456789abcdeffedcba9876543210") == key)
        #expect(DedupIDSQL.parseUUID("xyz") == nil)
    }

    @Test func keysCommitWithTheDeltasAndConflictsChangeNothing() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "dedup", connect: connect)
            let other = CheckpointedRollupWriter(instance: "other", connect: connect)
            let now = RollupWriterTests.start
            let base: Int64 = 1_800_000_000
            try writer.write(EventLines.deltas(["api.calls:1|c|#tenant:acme"], now: now), dedup:
                .init(ids: Self.ids(0..<250, arrival: { base + Int64($0) }, shard: 1), shards: 2, expireBefore: 0, expireLimit: 10))
            // Overlapping keys (a key seen again, other shard): the first arrival stays.
            try writer.write([], dedup: .init(ids: Self.ids(200..<300, arrival: { base + 1_000 + Int64($0) }), shards: 2,
                                              expireBefore: 0, expireLimit: 10))
            try other.write([], dedup: .init(ids: Self.ids(0..<10, arrival: { _ in base }), shards: 4, expireBefore: 0, expireLimit: 10))
            let database = try connect()
            let rows = try Self.load(database, instance: "dedup", since: 0, pageSize: 64)
            #expect(rows.count == 300)
            #expect(Set(rows.map(\.entry.fingerprint)) == Set((0..<300).map(Self.key)))
            #expect(rows.map(\.entry.arrival) == rows.map(\.entry.arrival).sorted())
            let first = rows.first { $0.entry.fingerprint == Self.key(220) }
            #expect(first?.entry.arrival == base + 220 && first?.shard == 1 && first?.shards == 2)
            #expect(try Self.load(database, instance: "dedup", since: base + 1_000).count == 100 - 50)
            #expect(try Self.load(database, instance: "other", since: 0).count == 10)
        } }
    }

    @Test func expiryDeletesOnlyOldKeysInBoundedSteps() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "dedup", connect: connect)
            let base: Int64 = 1_800_000_000
            try writer.write([], dedup: .init(ids: Self.ids(0..<100, arrival: { base + Int64($0) }), shards: 1,
                                              expireBefore: 0, expireLimit: 10))
            let database = try connect()
            let step = DedupIDSQL.Write(ids: SeenIDs(), shards: 1, expireBefore: base + 50, expireLimit: 30)
            #expect(try database.transaction { try DedupIDSQL.write(step, on: database, instance: "dedup") } == 30)
            #expect(try database.transaction { try DedupIDSQL.write(step, on: database, instance: "dedup") } == 20)
            #expect(try database.transaction { try DedupIDSQL.write(step, on: database, instance: "dedup") } == 0)
            let rows = try Self.load(database, instance: "dedup", since: 0)
            #expect(rows.count == 50)
            #expect(rows.first?.entry.arrival == base + 50)
        } }
    }

    /// A lost COMMIT answer: the retry carries the same deltas and keys, is recognised, and the
    /// table holds each key once; a retry of a write that failed before COMMIT inserts them.
    @Test func retryAfterALostCommitAnswerStaysExact() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "dedup", connect: connect)
            let now = RollupWriterTests.start
            let base: Int64 = 1_800_000_000
            let batch = EventLines.deltas(["api.calls:2|c|#tenant:acme"], now: now)
            let write = DedupIDSQL.Write(ids: Self.ids(0..<1_000, arrival: { base + Int64($0 % 7) }), shards: 1,
                                         expireBefore: 0, expireLimit: 10)
            writer.afterCommit = { throw LostAnswer() }
            #expect(throws: LostAnswer.self) { try writer.write(batch, dedup: write) }
            writer.afterCommit = nil
            #expect(try writer.write(batch, dedup: write) == .alreadyCommitted(position: 1))
            let database = try connect()
            #expect(try database.execute("SELECT count(*)::text AS n FROM meterd.dedup_ids")[0, "n"] == "1000")
            let month = try database.execute("SELECT sum::text AS sum FROM meterd.usage_monthly WHERE metric = 'api.calls'")
            #expect(month[0, "sum"] == "2")
            // Rolled back: nothing of it stays; the retry writes it all once.
            let next = DedupIDSQL.Write(ids: Self.ids(1_000..<1_100, arrival: { _ in base + 10 }), shards: 1,
                                        expireBefore: 0, expireLimit: 10)
            try database.execute("ALTER TABLE meterd.dedup_ids ADD CONSTRAINT no_more CHECK (arrival < to_timestamp(\(base + 10)))")
            #expect(throws: (any Error).self) { try writer.write(batch, dedup: next) }
            try database.execute("ALTER TABLE meterd.dedup_ids DROP CONSTRAINT no_more")
            #expect(try writer.write(batch, dedup: next) == .written(writer.summary(of: batch), position: 2))
            #expect(try database.execute("SELECT count(*)::text AS n FROM meterd.dedup_ids")[0, "n"] == "1100")
            #expect(try database.execute("SELECT sum::text AS sum FROM meterd.usage_monthly WHERE metric = 'api.calls'")[0, "sum"] == "4")
        } }
    }
}

/// Cost figures for docs/benchmarks.md "Persisted idempotency keys"; run with
/// `METERD_DEDUP_BENCH=1 scripts/test.sh --filter DedupIDCost` (debug build: the client-side
/// part is slower than in release).
@Suite(.enabled(if: TestDatabase.isConfigured && ProcessInfo.processInfo.environment["METERD_DEDUP_BENCH"] != nil,
                "set METERD_DEDUP_BENCH=1 to measure"))
struct DedupIDCostTests {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let (s, atto) = (clock.now - start).components
        return Double(s) + Double(atto) / 1e18
    }

    @Test func flushAndLoadCost() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "bench", connect: connect)
            let base: Int64 = 1_800_000_000
            let deltas = EventLines.deltas((0..<2_000).map { "api.calls:1|c|#tenant:t\($0)" }, now: RollupWriterTests.start)
            try writer.write(deltas)  // connect and migrate
            var withoutIDs: [Double] = []
            var withIDs: [Double] = []
            for round in 0..<5 {
                withoutIDs.append(try Self.seconds { try writer.write(deltas) })
                let ids = DedupIDSQLTests.ids(round * 100_000 ..< (round + 1) * 100_000, arrival: { base + Int64($0 / 1_000) })
                withIDs.append(try Self.seconds {
                    try writer.write(deltas, dedup: .init(ids: ids, shards: 4, expireBefore: 0, expireLimit: 10_000))
                })
            }
            // Up to 1M ids in the table, then load them into 4 shards' windows.
            for round in 5..<10 {
                let ids = DedupIDSQLTests.ids(round * 100_000 ..< (round + 1) * 100_000, arrival: { base + Int64($0 / 1_000) })
                try writer.write([], dedup: .init(ids: ids, shards: 4, expireBefore: 0, expireLimit: 10_000))
            }
            let database = try connect()
            var windows = (0..<4).map { _ in DedupWindow(windowSeconds: 86_400, maxEntries: 1_000_000) }
            var loaded = 0
            let load = try Self.seconds {
                loaded = try DedupIDSQL.load(on: database, instance: "bench", since: 0) { rows in
                    for row in rows { windows[Int(row.entry.fingerprint.low % 4)].restore(row.entry.fingerprint, arrival: row.entry.arrival) }
                }
            }
            let queryOnly = try Self.seconds {
                _ = try DedupIDSQL.load(on: database, instance: "bench", since: 0) { _ in }
            }
            let expire = try Self.seconds {
                _ = try database.transaction {
                    try DedupIDSQL.write(.init(ids: SeenIDs(), shards: 4, expireBefore: base + 100, expireLimit: 100_000),
                                         on: database, instance: "bench")
                }
            }
            #expect(loaded == 1_000_000)
            let median = { (values: [Double]) in values.sorted()[values.count / 2] }
            print("dedup cost: flush 2000 rows median \(median(withoutIDs)) s; with 100k ids median \(median(withIDs)) s "
                  + "(all: \(withoutIDs) / \(withIDs)); load 1M ids into windows \(load) s (query+parse only \(queryOnly) s); "
                  + "expire 100k ids \(expire) s")
        } }
    }
}
