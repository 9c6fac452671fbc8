import MeterCore
import MeterPostgres
import Testing
@testable import MeterPostgres

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct CheckpointedRollupWriterTests {
    struct LostAnswer: Error {}

    /// A write whose COMMIT succeeded but whose answer was lost (the seam throws after the
    /// commit and the connection is closed): the retry of the same batch is recognised from the
    /// stored position and not applied again; the next batch is applied once.
    @Test func retryOfACommittedWriteIsNotAppliedTwice() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "doubt", connect: connect)
            let now = RollupWriterTests.start
            let first = EventLines.deltas(["api.calls:2.5|c|#tenant:acme", "seats:s1|s|#tenant:acme"], now: now)
            #expect(try writer.write(first) == .written(writer.summary(of: first), position: 1))

            let second = EventLines.deltas(["api.calls:1|c|#tenant:acme", "seats:s2|s|#tenant:acme"], now: now, seed: 6)
            writer.afterCommit = { throw LostAnswer() }
            #expect(throws: LostAnswer.self) { try writer.write(second) }
            #expect(writer.inDoubt == 2)
            writer.afterCommit = nil
            #expect(try writer.write(second) == .alreadyCommitted(position: 2))
            #expect(writer.inDoubt == nil)

            let third = EventLines.deltas(["api.calls:10|c|#tenant:acme"], now: now, seed: 7)
            #expect(try writer.write(third) == .written(writer.summary(of: third), position: 3))

            let database = try connect()
            let month = try database.execute(
                "SELECT sum::text AS sum, events::text AS events FROM meterd.usage_monthly WHERE metric = 'api.calls'")
            #expect(month[0, "sum"] == "13.5")
            #expect(month[0, "events"] == "3")
            let seats = try database.execute("SELECT uniques::text AS u FROM meterd.usage_monthly WHERE metric = 'seats'")
            #expect(seats[0, "u"] == "2")
            #expect(try RollupWriter(connection: database).checkpoint(instance: "doubt") == 3)
        } }
    }

    /// The per-shard WAL positions go in with the deltas and replace the instance's rows
    /// wholesale; a write whose answer was lost keeps them (the retry is not applied again);
    /// other instances' rows are untouched.
    @Test func walPositionsAreReplacedWholesaleInTheSameTransaction() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "wal", connect: connect)
            let other = CheckpointedRollupWriter(instance: "other", connect: connect)
            let now = RollupWriterTests.start
            try other.write([], walPositions: [0: 5])
            try writer.write(EventLines.deltas(["api.calls:1|c|#tenant:acme"], now: now), walPositions: [0: 100, 1: 200, 2: 50])
            let database = try connect()
            #expect(try WALCheckpointSQL.positions(on: database, instance: "wal") == [0: 100, 1: 200, 2: 50])

            let batch = EventLines.deltas(["api.calls:2|c|#tenant:acme"], now: now, seed: 3)
            writer.afterCommit = { throw LostAnswer() }
            #expect(throws: LostAnswer.self) { try writer.write(batch, walPositions: [0: 300, 1: 400]) }
            writer.afterCommit = nil
            #expect(try writer.write(batch, walPositions: [0: 300, 1: 400]) == .alreadyCommitted(position: 2))
            #expect(try WALCheckpointSQL.positions(on: database, instance: "wal") == [0: 300, 1: 400])
            #expect(try WALCheckpointSQL.positions(on: database, instance: "other") == [0: 5])
            let month = try database.execute("SELECT sum::text AS sum FROM meterd.usage_monthly WHERE metric = 'api.calls'")
            #expect(month[0, "sum"] == "3")
        } }
    }

    /// A write that failed before its COMMIT (a statement error) is in doubt too; the retry
    /// finds the old position stored and applies the batch.
    @Test func retryOfAFailedWriteIsApplied() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let writer = CheckpointedRollupWriter(instance: "fail", connect: connect)
            let now = RollupWriterTests.start
            try writer.write(EventLines.deltas(["api.calls:1|c|#tenant:acme"], now: now))
            let setup = try connect()
            try setup.execute("""
                CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused'; END $$
                """)
            try setup.execute("CREATE TRIGGER refuse BEFORE UPDATE ON meterd.usage_hourly FOR EACH ROW EXECUTE FUNCTION refuse()")
            let batch = EventLines.deltas(["api.calls:4|c|#tenant:acme"], now: now)
            #expect(throws: PostgresError.self) { try writer.write(batch) }
            #expect(writer.inDoubt == 2)
            try setup.execute("DROP TRIGGER refuse ON meterd.usage_hourly")
            #expect(try writer.write(batch) == .written(writer.summary(of: batch), position: 2))
            let month = try setup.execute("SELECT sum::text AS sum FROM meterd.usage_monthly WHERE metric = 'api.calls'")
            #expect(month[0, "sum"] == "5")
        } }
    }

    /// The connection defaults reach the server (a statement cannot hang forever), and the
    /// connection string still overrides them.
    @Test func connectionDefaultsSetAStatementTimeout() throws {
        let url = try #require(TestDatabase.url)
        let connection = try PostgresConnection(connectionString: url,
                                                defaults: CheckpointedRollupWriter.connectionDefaults)
        #expect(try connection.execute("SHOW statement_timeout").rows[0][0] == "1min")
        let separator = url.contains("?") ? "&" : "?"
        let overridden = try PostgresConnection(connectionString: url + separator + "options=-c%20statement_timeout%3D5000",
                                                defaults: CheckpointedRollupWriter.connectionDefaults)
        #expect(try overridden.execute("SHOW statement_timeout").rows[0][0] == "5s")
    }
}

extension CheckpointedRollupWriter {
    /// The summary `RollupWriter` reports for `deltas` (rows after folding, members, statements).
    func summary(of deltas: [RollupDelta]) throws -> RollupWriter.Summary {
        try RollupWriter.summary(of: deltas)
    }
}
