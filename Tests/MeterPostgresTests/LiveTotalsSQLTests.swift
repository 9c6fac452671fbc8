import MeterCore
import MeterPostgres
import Testing

/// The Redis resync's read: open-bucket totals summed over dimension combinations and the
/// instance's flush counter, from one snapshot (docs/redis.md "Resync").
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct LiveTotalsSQLTests {
    static let now = RollupWriterTests.start  // 2026-01-31 10:30 UTC
    static let open = [Grain.hour: Int64(1_769_853_600), .day: 1_769_817_600, .month: 1_767_225_600]

    @Test func openBucketsAreSummedPerKeyWithTheInstancesCounter() throws {
        try TestDatabase.withFreshDatabase { nonEscaping in try withoutActuallyEscaping(nonEscaping) { connect in
            let mine = CheckpointedRollupWriter(instance: "mine", connect: connect)
            let other = CheckpointedRollupWriter(instance: "other", connect: connect)
            let now = Self.now
            try mine.write(EventLines.deltas([
                "api.calls:2.5|c|#tenant:acme,model:x",
                "api.calls:0.000001|c|#tenant:acme,model:y",
                // 09:30: the closed hour 09:00, but the open day and month.
                "api.calls:100|c|#tenant:acme,model:x|T\(now - 3600)",
                "seats:s1|s|#tenant:acme,site:a", "seats:s1|s|#tenant:acme,site:b", "seats:s2|s|#tenant:acme,site:a",
                "disk:5|g|#tenant:acme,region:eu|T\(now - 60)", "disk:7|g|#tenant:acme,region:us|T\(now - 30)",
            ], now: now))
            try other.write(EventLines.deltas(["api.calls:1|c|#tenant:acme,model:z"], now: now, seed: 9))
            // The same hasher seed (as meterd keeps across flushes): s1 is not counted again.
            try mine.write(EventLines.deltas(["api.calls:3|c|#tenant:acme,model:x", "seats:s1|s|#tenant:acme,site:a"],
                                             now: now))

            let snapshot = try LiveTotalsSQL.read(on: try connect(), instance: "mine", openBuckets: Self.open, limit: 100)
            #expect(snapshot.counter == 2)
            #expect(!snapshot.truncated)
            func row(_ metric: String, _ grain: Grain) -> LiveTotalsSQL.Row? {
                snapshot.rows.first { $0.metric == metric && $0.grain == grain }
            }
            #expect(snapshot.rows.count == 9)  // 3 metrics x 3 grains, one key each
            // Both instances' rows, all dimension combinations: 2.5 + 0.000001 + 1 + 3.
            #expect(row("api.calls", .hour)?.sumUnits == 6_500_001)
            #expect(row("api.calls", .hour)?.events == 4)
            #expect(row("api.calls", .hour)?.bucketStart == Self.open[.hour])
            #expect(row("api.calls", .day)?.sumUnits == 106_500_001)
            #expect(row("api.calls", .month)?.events == 5)
            // Uniques as the rollups count them: per dimension combination (s1 twice), once per member.
            #expect(row("seats", .month)?.uniques == 3)
            #expect(row("seats", .month)?.events == 4)
            // The latest of all combinations is the newest event's; the integral their sum.
            let disk = try #require(row("disk", .hour))
            #expect(disk.latestUnits == 7_000_000)
            #expect(disk.latestTime == now - 30)
            let integral = try connect().execute("""
                SELECT trunc(sum(integral) * 1000000)::text AS i FROM meterd.usage_hourly WHERE metric = 'disk'
                """)
            #expect(integral[0, "i"].flatMap { Int128($0) } == disk.integralUnitSeconds)
            #expect(row("api.calls", .hour)?.latestUnits == nil)

            let cut = try LiveTotalsSQL.read(on: try connect(), instance: "mine", openBuckets: Self.open, limit: 4)
            #expect(cut.truncated && cut.rows == Array(snapshot.rows.prefix(4)))
            // An instance that never flushed reads counter 0.
            #expect(try LiveTotalsSQL.read(on: try connect(), instance: "new", openBuckets: Self.open, limit: 1).counter == 0)
        } }
    }
}
