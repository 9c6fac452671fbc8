#if canImport(Glibc)
import Glibc
#endif
import MeterCore
import MeterRedis
import Testing

/// Applies `LiveCounterKeys` batches built from real engine deltas to the real Redis and reads
/// the hashes back: they must equal the rollup totals summed over dimension combinations.
@Suite(.enabled(if: RedisTestServer.isConfigured, RedisTestServer.skipMessage))
struct LiveCounterMirrorTests {
    static func apply(_ batch: LiveCounterBatch, to redis: RedisConnection) throws {
        #expect(batch.malformedDeltas == 0 && batch.unrepresentableIncrements == 0)
        let replies = try redis.pipeline(batch.commands)
        #expect(replies.count == batch.commands.count)
        for (command, reply) in zip(batch.commands, replies) {
            #expect(!reply.isError, "\(command[0]) \(command[1]) -> \(reply)")
        }
    }

    static func verify(_ expected: [String: ExpectedHash], keys: LiveCounterKeys, in redis: RedisConnection) throws {
        for (key, hash) in expected {
            let fields = try redis.command(["HGETALL", key])
            guard case .array(let flat) = fields else {
                Issue.record("HGETALL \(key) -> \(fields)")
                continue
            }
            var stored: [String: String] = [:]
            for index in stride(from: 0, to: flat.count - 1, by: 2) {
                stored[flat[index].string!] = flat[index + 1].string!
            }
            #expect(stored["events"] == String(hash.events), "\(key)")
            #expect(stored["sum_units"] == (hash.sumUnits == 0 ? nil : String(hash.sumUnits)), "\(key)")
            #expect(stored["unique"] == (hash.unique == 0 ? nil : String(hash.unique)), "\(key)")
            #expect(stored["integral_unit_seconds"] == (hash.integral == 0 ? nil : String(hash.integral)), "\(key)")
            #expect(stored["latest_units"] == hash.latestUnits.map { String($0) }, "\(key)")
            if hash.latestUnits != nil { #expect(stored["latest_time"] == String(hash.latestTime), "\(key)") }
        }
    }

    @Test func mirrorHoldsTheRollupTotalsAcrossTwoFlushes() throws {
        let redis = try RedisTestServer.connect()
        let keys = LiveCounterKeys(prefix: RedisTestServer.uniquePrefix("mirror"))
        let fixture = EngineFixture()
        let now = Int64(time(nil))
        var totals = RollupTotals()

        let first = fixture.flush("""
            ai.tokens:1200|c|#tenant:acme,model:gpt-x
            ai.tokens:800.5|c|#tenant:acme,model:gpt-y,id:req-1
            ai.tokens:800.5|c|#tenant:acme,model:gpt-y,id:req-1
            telehealth.minutes:12.25|c|#tenant:clinic_42,id:visit-991
            sms.sent:1|c|#tenant:clinic_42,channel:whatsapp|T\(now - 30)
            providers.active:prov-1|s|#tenant:clinic_42
            providers.active:prov-2|s|#tenant:clinic_42
            providers.active:prov-1|s|#tenant:clinic_42
            storage.gb:182.375|g|#tenant:acme,tier:hot|T\(now - 20)
            storage.gb:190|g|#tenant:acme,tier:hot|T\(now - 10)
            """, now: now)
        totals.apply(first)
        try Self.apply(keys.commands(for: first), to: redis)
        try Self.verify(ExpectedHash.build(from: totals, keys: keys), keys: keys, in: redis)

        let second = fixture.flush("""
            ai.tokens:0.000001|c|#tenant:acme,model:gpt-x
            ai.tokens:800.5|c|#tenant:acme,model:gpt-y,id:req-1
            sms.sent:2|c|#tenant:clinic_42,channel:sms
            providers.active:prov-3|s|#tenant:clinic_42
            providers.active:prov-2|s|#tenant:clinic_42
            storage.gb:7|g|#tenant:acme,tier:cold|T\(now - 5)
            storage.gb:1|g|#tenant:acme,tier:hot|T\(now - 15)
            """, now: now + 1)
        totals.apply(second)
        try Self.apply(keys.commands(for: second), to: redis)
        let expected = ExpectedHash.build(from: totals, keys: keys)
        try Self.verify(expected, keys: keys, in: redis)

        // Spot checks in plain numbers: 1200 + 800.5 + 0.000001 tokens; 3 distinct providers; the
        // newest storage value (7 at now - 5) wins over the late 1 at now - 15.
        let month = Grain.month.bucketStart(containing: now)
        let tokens = keys.key(tenant: "acme", metric: "ai.tokens", type: .counter, grain: .month, bucketStart: month)
        #expect(try redis.command(["HGET", tokens, "sum_units"]).int64 == 2_000_500_001)
        let providers = keys.key(tenant: "clinic_42", metric: "providers.active", type: .set, grain: .month, bucketStart: month)
        #expect(try redis.command(["HGET", providers, "unique"]).int64 == 3)
        let storage = keys.key(tenant: "acme", metric: "storage.gb", type: .gauge, grain: .month, bucketStart: month)
        #expect(try redis.command(["HGET", storage, "latest_units"]).int64 == 7_000_000)

        // Every key expires at its bucket end plus the retention.
        for key in expected.keys {
            let parts = key.split(separator: ":")
            let grain = Grain.finestFirst.first { $0.name == parts[parts.count - 2] }!
            let start = Int64(parts[parts.count - 1])!
            #expect(try redis.command(["EXPIRETIME", key]).int64 == keys.expiresAt(grain: grain, bucketStart: start))
        }
    }

    @Test func aBucketPastItsRetentionIsNotResurrected() throws {
        let redis = try RedisTestServer.connect()
        let keys = LiveCounterKeys(prefix: RedisTestServer.uniquePrefix("expired"), retentionSeconds: 0)
        let now = Int64(time(nil))
        // An event from the previous hour: its hour bucket has ended and retention is 0.
        let previousHour = Grain.hour.bucketStart(containing: now) - 1_800
        let deltas = EngineFixture().flush("api.calls:1|c|#tenant:acme|T\(previousHour)", now: now)
        try Self.apply(keys.commands(for: deltas), to: redis)
        let hourKey = keys.key(tenant: "acme", metric: "api.calls", type: .counter, grain: .hour,
                               bucketStart: Grain.hour.bucketStart(containing: previousHour))
        #expect(try redis.command(["EXISTS", hourKey]) == .integer(0))
    }
}
