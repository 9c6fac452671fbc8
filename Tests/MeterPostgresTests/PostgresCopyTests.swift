import Foundation
import Synchronization
import MeterCore
@testable import MeterPostgres
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PostgresCopyTests {
    struct Stop: Error {}

    @Test func copyRoundTripsAwkwardText() throws {
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        try connection.execute("CREATE TEMPORARY TABLE t (n bigint, v text)")
        let values: [String?] = ["", "NULL", nil, "\\N", "tab\there", "new\nline", "cr\rreturn", "back\\slash",
                                 "quo\"te", "a,b", "{x}", " spaced ", "ünï", "\u{1}ctl"]
        var builder = PostgresCopyBuilder()
        for (index, value) in values.enumerated() {
            builder.append(Int64(index - 3))
            builder.append(value)
            builder.endRow()
        }
        // Split the data at an arbitrary byte: COPY messages need not end on row boundaries.
        let bytes = builder.bytes
        let copied = try connection.copyIn("COPY t (n, v) FROM STDIN") { send in
            try send(Array(bytes[..<7]))
            try send(Array(bytes[7...]))
        }
        #expect(copied == values.count)
        let rows = try connection.execute("SELECT n, v FROM t ORDER BY n").rows
        #expect(rows.map { $0[0] } == values.indices.map { String($0 - 3) })
        #expect(rows.map { $0[1] } == values)
    }

    @Test func aFailingProducerCopiesNothingAndTheConnectionStaysUsable() throws {
        let connection = try PostgresConnection(connectionString: try #require(TestDatabase.url))
        try connection.execute("CREATE TEMPORARY TABLE t (n bigint)")
        #expect(throws: Stop.self) {
            try connection.copyIn("COPY t (n) FROM STDIN") { send in
                try send(Array("1\n2\n".utf8))
                throw Stop()
            }
        }
        #expect(try connection.execute("SELECT count(*) FROM t").rows[0][0] == "0")
        // A row the server refuses: its error, and the connection still works.
        let error = try #require(throws: PostgresError.self) {
            try connection.copyIn("COPY t (n) FROM STDIN") { send in try send(Array("1\nnot a number\n".utf8)) }
        }
        #expect(error.sqlState == "22P02")
        #expect(try connection.execute("SELECT count(*) FROM t").rows[0][0] == "0")
        // Not a COPY at all.
        #expect(throws: PostgresError.self) {
            try connection.copyIn("SELECT 1") { _ in }
        }
        #expect(try connection.execute("SELECT 1").rows[0][0] == "1")
    }

    /// Dimension values with quotes, backslashes and non-ASCII text reach
    /// the rollup tables unchanged (they pass JSON escaping, then COPY escaping).
    @Test func awkwardSeriesTextReachesTheTables() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: 3))
            let worker = engine.makeWorker(policy: .drop)
            let now = RollupWriterTests.start
            var accepted = 0
            var refusals: [String] = []
            for line in [#"api.calls:1.5|c|#tenant:acme,model:gpt"x,path:C:\\dir"#, "api.calls:2|c|#tenant:globex,model:mü\\",
                         #"storage.gb:3|g|#tenant:acme,region:e\"u"#, "seats:dr-1|s|#tenant:globex,team:x\\y"] {
                let refusal = line.utf8CString.dropLast().withUnsafeBytes { worker.ingest(line: $0, now: now) }
                if let refusal { refusals.append("\(line): \(refusal)") } else { accepted += 1 }
            }
            #expect(accepted >= 3, "\(refusals)")
            worker.publish()
            var deltas: [RollupDelta] = []
            engine.drainAndCollectDeltas(now: now, into: &deltas)
            var totals = RollupTotals()
            totals.apply(deltas)
            let writer = RollupWriter(connection: connection, rowsPerChunk: 1)
            try writer.write(deltas, checkpoint: ("awkward", 1))
            // Again without the set (whose members are stored now, so it would not grow).
            let again = deltas.filter { $0.type != .set }
            try writer.write(again, checkpoint: ("awkward", 2))
            totals.apply(again)
            #expect(try RollupRows.read(connection) == RollupRows.expected(totals))
        }
    }

    /// A write with nothing to write still moves the checkpoint.
    @Test func anEmptyWriteSetsTheCheckpoint() throws {
        try TestDatabase.withFreshDatabase { connect in
            let connection = try connect()
            try Migrations.apply(on: connection)
            let writer = RollupWriter(connection: connection)
            let summary = try writer.write([], checkpoint: ("empty", 7))
            #expect(summary == RollupWriter.Summary())
            #expect(try writer.checkpoint(instance: "empty") == 7)
        }
    }
}

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ConcurrentRollupWriterTests {
    /// Two instances flush the same rows at the same time, again and again (the first round
    /// inserts, racing on new rows; later rounds update, racing on the same rows): every delta
    /// lands exactly once per write. A transient failure (deadlock) is retried, as the daemon
    /// does; a failed write commits nothing.
    @Test func twoWritersOnTheSameRowsAddUp() throws {
        try TestDatabase.withFreshDatabase { connect in
            let setup = try connect()
            try Migrations.apply(on: setup)
            var random = SplitMix64(seed: 11)
            let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: 11))
            let worker = engine.makeWorker(policy: .drop)
            var now = RollupWriterTests.start
            for index in 0..<1_500 {
                now += Int64.random(in: 0...5, using: &random)
                let line = EventLines.random(index: index, now: now, using: &random)
                guard !line.contains("|s|") else { continue }  // sets: members deduplicate, checked elsewhere
                line.utf8CString.dropLast().withUnsafeBytes { _ = worker.ingest(line: $0, now: now) }
            }
            worker.publish()
            var collected: [RollupDelta] = []
            engine.drainAndCollectDeltas(now: now, into: &collected)
            let deltas = collected
            let rounds = 5
            let failures = Mutex<[String]>([])
            let done = DispatchSemaphore(value: 0)
            for instance in ["one", "two"] {
                let connection = try connect()
                nonisolated(unsafe) let owned = connection  // handed to exactly one thread
                Thread {
                    let writer = RollupWriter(connection: owned, rowsPerChunk: 97)
                    for round in 1...rounds {
                        var attempts = 0
                        while true {
                            do {
                                try writer.write(deltas, checkpoint: (instance, Int64(round)))
                                break
                            } catch let error as PostgresError where error.isTransient && attempts < 20 {
                                attempts += 1
                            } catch {
                                failures.withLock { $0.append("\(instance) round \(round): \(error)") }
                                break
                            }
                        }
                    }
                    done.signal()
                }.start()
            }
            done.wait()
            done.wait()
            #expect(failures.withLock { $0 } == [])
            var totals = RollupTotals()
            for _ in 0..<(2 * rounds) { totals.apply(deltas) }
            let stored = try RollupRows.read(setup)
            #expect(stored.count > 50)
            #expect(stored == RollupRows.expected(totals))
        }
    }
}
