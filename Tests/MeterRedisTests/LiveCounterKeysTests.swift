import MeterCore
import MeterRedis
import Testing

/// The delta-to-commands translation as pure code: no Redis.
@Suite struct LiveCounterKeysTests {
    /// 2026-01-31 10:30:00 UTC.
    static let now: Int64 = 1_769_855_400
    static let hourStart: Int64 = 1_769_853_600
    static let dayStart: Int64 = 1_769_817_600
    static let monthStart: Int64 = 1_767_225_600
    static let monthEnd: Int64 = 1_769_904_000

    static func commands(_ batch: LiveCounterBatch, key: String) -> [[String]] {
        // EVAL script numkeys key ...: the key is the fourth word.
        batch.commands.filter { ($0[0] == "EVAL" ? $0[3] : $0[1]) == key }
    }

    @Test func keyLayoutAndExpiry() {
        let keys = LiveCounterKeys()
        #expect(keys.key(tenant: "acme", metric: "ai.tokens", type: .counter, grain: .month, bucketStart: Self.monthStart)
            == "meterd:usage:{acme}:ai.tokens:c:month:1767225600")
        #expect(LiveCounterKeys(prefix: "x").key(tenant: "t", metric: "m", type: .set, grain: .hour, bucketStart: 0)
            == "x:usage:{t}:m:s:hour:0")
        #expect(keys.expiresAt(grain: .month, bucketStart: Self.monthStart) == Self.monthEnd + 7 * 86_400)
        #expect(LiveCounterKeys(retentionSeconds: 60).expiresAt(grain: .hour, bucketStart: Self.hourStart)
            == Self.hourStart + 3_600 + 60)
    }

    @Test func countersMergeDimensionsIntoOneKeyPerBucketInMicroUnits() {
        let deltas = EngineFixture().flush("""
            ai.tokens:1.5|c|#tenant:acme,model:a
            ai.tokens:2|c|#tenant:acme,model:b
            ai.tokens:0.000001|c|#tenant:acme,model:a
            """, now: Self.now)
        let keys = LiveCounterKeys()
        let batch = keys.commands(for: deltas)
        #expect(batch.keyCount == 3)
        #expect(batch.malformedDeltas == 0 && batch.unrepresentableIncrements == 0)
        #expect(batch.commands.count == 9)
        for (grain, start) in [(Grain.hour, Self.hourStart), (.day, Self.dayStart), (.month, Self.monthStart)] {
            let key = keys.key(tenant: "acme", metric: "ai.tokens", type: .counter, grain: grain, bucketStart: start)
            #expect(Self.commands(batch, key: key) == [
                ["HINCRBY", key, "events", "3"],
                ["HINCRBY", key, "sum_units", "3500001"],
                ["EXPIREAT", key, String(keys.expiresAt(grain: grain, bucketStart: start))],
            ])
        }
    }

    @Test func setsIncrementUniqueByTheNewMembers() {
        let deltas = EngineFixture().flush("""
            providers.active:prov-1|s|#tenant:clinic_42
            providers.active:prov-2|s|#tenant:clinic_42
            providers.active:prov-1|s|#tenant:clinic_42
            """, now: Self.now)
        let keys = LiveCounterKeys()
        let batch = keys.commands(for: deltas)
        let key = keys.key(tenant: "clinic_42", metric: "providers.active", type: .set, grain: .month, bucketStart: Self.monthStart)
        let commands = Self.commands(batch, key: key)
        #expect(commands.contains(["HINCRBY", key, "unique", "2"]))
        #expect(!commands.contains { $0[2] == "sum_units" })
    }

    @Test func gaugesWriteTheNewestValueThroughTheScriptAndTheIntegral() {
        let deltas = EngineFixture().flush("""
            storage.gb:10|g|#tenant:acme,tier:hot|T\(Self.now - 600)
            storage.gb:12.5|g|#tenant:acme,tier:cold|T\(Self.now - 60)
            storage.gb:11|g|#tenant:acme,tier:hot|T\(Self.now - 120)
            """, now: Self.now)
        let keys = LiveCounterKeys()
        let batch = keys.commands(for: deltas)
        let key = keys.key(tenant: "acme", metric: "storage.gb", type: .gauge, grain: .day, bucketStart: Self.dayStart)
        let commands = Self.commands(batch, key: key)
        #expect(commands.contains(["EVAL", LiveCounterKeys.latestScript, "1", key, "12500000", String(Self.now - 60)]))
        #expect(commands.contains(["HINCRBY", key, "events", "3"]))
        var totals = RollupTotals()
        totals.apply(deltas)
        let expected = ExpectedHash.build(from: totals, keys: keys)[key]!
        if expected.integral != 0 {
            #expect(commands.contains(["HINCRBY", key, "integral_unit_seconds", String(expected.integral)]))
        }
        #expect(commands.last == ["EXPIREAT", key, String(keys.expiresAt(grain: .day, bucketStart: Self.dayStart))])
    }

    @Test func sameNameWithTwoTypesGetsTwoKeys() {
        let deltas = EngineFixture().flush("""
            seats:3|c|#tenant:acme
            seats:u1|s|#tenant:acme
            """, now: Self.now)
        let keys = LiveCounterKeys()
        let batch = keys.commands(for: deltas)
        #expect(batch.keyCount == 6)
        let counter = keys.key(tenant: "acme", metric: "seats", type: .counter, grain: .hour, bucketStart: Self.hourStart)
        let set = keys.key(tenant: "acme", metric: "seats", type: .set, grain: .hour, bucketStart: Self.hourStart)
        #expect(Self.commands(batch, key: counter).contains(["HINCRBY", counter, "sum_units", "3000000"]))
        #expect(Self.commands(batch, key: set).contains(["HINCRBY", set, "unique", "1"]))
    }

    @Test func malformedAndUnrepresentableDeltasAreCountedNotSent() {
        var deltas = EngineFixture().flush("api.calls:1|c|#tenant:acme", now: Self.now)
        #expect(deltas.count == 3)
        deltas[0].seriesKey = [1, 2, 3]
        deltas[1].sum = QuantitySum(units: Int128(Int64.max) + 1)
        let batch = LiveCounterKeys().commands(for: deltas)
        #expect(batch.malformedDeltas == 1)
        #expect(batch.unrepresentableIncrements == 1)
        #expect(batch.keyCount == 2)
        #expect(!batch.commands.contains { $0[2] == "sum_units" && $0[1].contains(":\(deltas[1].grain.name):") })
    }

    @Test func noDeltasNoCommands() {
        #expect(LiveCounterKeys().commands(for: []) == LiveCounterBatch())
    }
}
