import MeterCore
import MeterRedis
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The resync's absolute rewrite: pure commands, then applied to the real Redis over wrong
/// values (docs/redis.md "Resync").
@Suite struct LiveCounterResyncTests {
    static let now = LiveCounterKeysTests.now
    static let open = LiveCounterKeys.openBuckets(at: now)

    @Test func openBucketsAreTheBucketsHoldingNow() {
        #expect(Self.open == [.hour: LiveCounterKeysTests.hourStart, .day: LiveCounterKeysTests.dayStart,
                              .month: LiveCounterKeysTests.monthStart])
    }

    @Test func rewriteReplacesTheHashAtomicallyWithNonZeroFields() {
        let keys = LiveCounterKeys(prefix: "p")
        var counter = LiveTotal(tenant: "acme", metric: "ai.tokens", type: .counter, grain: .month,
                                bucketStart: LiveCounterKeysTests.monthStart)
        counter.add(events: 2, sumUnits: 1_000_250_000, unique: 0, integralUnitSeconds: 0, latest: nil)
        counter.add(events: 1, sumUnits: 750_000, unique: 0, integralUnitSeconds: 0, latest: nil)
        let key = "p:usage:{acme}:ai.tokens:c:month:1767225600"
        #expect(keys.rewrite(counter) == LiveCounterRewrite(key: key, commands: [
            ["MULTI"], ["DEL", key], ["HSET", key, "events", "3", "sum_units", "1001000000"],
            ["EXPIREAT", key, String(LiveCounterKeysTests.monthEnd + 7 * 86_400)], ["EXEC"],
        ]))

        var set = LiveTotal(tenant: "t", metric: "seats", type: .set, grain: .hour, bucketStart: 0)
        set.add(events: 4, sumUnits: 0, unique: 3, integralUnitSeconds: 0, latest: nil)
        #expect(keys.rewrite(set).commands[2] == ["HSET", "p:usage:{t}:seats:s:hour:0", "events", "4", "unique", "3"])

        // Latest: the newer time wins; on a tie the larger value, whatever the row order.
        var gauge = LiveTotal(tenant: "t", metric: "disk", type: .gauge, grain: .day, bucketStart: 0)
        gauge.add(events: 1, sumUnits: 0, unique: 0, integralUnitSeconds: 0, latest: (5_000_000, 100))
        gauge.add(events: 1, sumUnits: 0, unique: 0, integralUnitSeconds: 60, latest: (9_000_000, 90))
        gauge.add(events: 1, sumUnits: 0, unique: 0, integralUnitSeconds: 0, latest: (7_000_000, 100))
        gauge.add(events: 1, sumUnits: 0, unique: 0, integralUnitSeconds: 0, latest: (6_000_000, 100))
        #expect(keys.rewrite(gauge).commands[2] == ["HSET", "p:usage:{t}:disk:g:day:0", "events", "4",
                                                     "integral_unit_seconds", "60",
                                                     "latest_units", "7000000", "latest_time", "100"])
    }

    @Test func valuesBeyondSignedSixtyFourBitsAreNotWritten() {
        var total = LiveTotal(tenant: "t", metric: "m", type: .counter, grain: .hour, bucketStart: 0)
        total.add(events: 1, sumUnits: Int128(Int64.max) + 1, unique: 0, integralUnitSeconds: 0, latest: nil)
        let rewrite = LiveCounterKeys().rewrite(total)
        #expect(rewrite.commands.isEmpty)
        #expect(rewrite.key == "meterd:usage:{t}:m:c:hour:0")
    }

    @Test func aResyncOwnsOnlyItsLayoutsOpenBuckets() {
        let keys = LiveCounterKeys(prefix: "p")
        let hour = LiveCounterKeysTests.hourStart
        #expect(keys.isResynced("p:usage:{t}:m:c:hour:\(hour)", openBuckets: Self.open))
        #expect(keys.isResynced("p:usage:{t}:m:c:hour:\(hour + 3600)", openBuckets: Self.open))  // a future bucket
        #expect(!keys.isResynced("p:usage:{t}:m:c:hour:\(hour - 3600)", openBuckets: Self.open))  // closed: expires
        #expect(keys.isResynced("p:usage:{t}:m:s:month:\(LiveCounterKeysTests.monthStart)", openBuckets: Self.open))
        #expect(!keys.isResynced("q:usage:{t}:m:c:hour:\(hour)", openBuckets: Self.open))
        #expect(!keys.isResynced("p:usage:{t}:m:c:week:\(hour)", openBuckets: Self.open))
        #expect(!keys.isResynced("p:alerts", openBuckets: Self.open))
        #expect(keys.scanPattern == "p:usage:*")
    }

    @Test(.enabled(if: RedisTestServer.isConfigured, RedisTestServer.skipMessage))
    func theRewriteOverwritesWrongValuesInRedis() throws {
        let redis = try RedisTestServer.connect()
        let keys = LiveCounterKeys(prefix: RedisTestServer.uniquePrefix("rewrite"))
        // The current hour: a past bucket's EXPIREAT would delete the key at once.
        let hour = LiveCounterKeys.openBuckets(at: Int64(time(nil)))[.hour]!
        var total = LiveTotal(tenant: "acme", metric: "m", type: .counter, grain: .hour, bucketStart: hour)
        total.add(events: 2, sumUnits: 5, unique: 0, integralUnitSeconds: 0, latest: nil)
        let rewrite = keys.rewrite(total)
        _ = try redis.pipeline([["HSET", rewrite.key, "events", "99", "sum_units", "1", "unique", "4"]])
        let replies = try redis.pipeline(rewrite.commands)
        #expect(!replies.contains { $0.isError })
        guard case .array(let flat) = try redis.command(["HGETALL", rewrite.key]) else {
            Issue.record("HGETALL failed")
            return
        }
        let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: flat.count, by: 2).map {
            (flat[$0].string ?? "", flat[$0 + 1].string ?? "")
        })
        #expect(fields == ["events": "2", "sum_units": "5"])
        #expect(try redis.command(["TTL", rewrite.key]).int64 ?? 0 > 3600)
        _ = try redis.command(["DEL", rewrite.key])
    }
}
