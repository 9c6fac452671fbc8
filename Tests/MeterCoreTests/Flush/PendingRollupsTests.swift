import MeterCore
import Testing

@Suite struct PendingRollupsTests {
    /// Random counter, gauge and set events flushed in many rounds: folding every round into
    /// `PendingRollups` keeps one delta per row, and applying them equals applying every
    /// round's deltas in order (set members included, exactly).
    @Test(arguments: [1 as UInt64, 2, 3])
    func foldedRoundsEqualRoundsAppliedInOrder(seed: UInt64) {
        let engine = MeterEngine(configuration: EngineConfiguration(), hasher: ByteHasher(seed: seed))
        let worker = engine.makeWorker(policy: .drop)
        var random = SplitMix64(seed: seed)
        var expected = RollupTotals()
        var pending = PendingRollups()
        var rounds = 0
        var now: Int64 = 1_769_855_400
        for index in 0..<2_000 {
            now += Int64.random(in: 0...30, using: &random)
            let tenant = "t\(Int.random(in: 0..<3, using: &random))"
            let line = switch index % 3 {
            case 0: "api.calls:\(Int.random(in: 1...99, using: &random)).5|c|#tenant:\(tenant)"
            case 1: "disk.gb:\(Int.random(in: 0...90, using: &random))|g|#tenant:\(tenant)"
            default: "users:u\(Int.random(in: 0..<40, using: &random))|s|#tenant:\(tenant)"
            }
            line.utf8CString.dropLast().withUnsafeBytes { _ = worker.ingest(line: $0, now: now) }
            if Int.random(in: 0..<40, using: &random) == 0 || index == 1_999 {
                worker.publish()
                var deltas: [RollupDelta] = []
                engine.drainAndCollectDeltas(now: now, into: &deltas)
                expected.apply(deltas)
                pending.add(contentsOf: deltas)
                rounds += 1
            }
        }
        #expect(rounds > 20)
        let rowCount = pending.rowCount
        let members = pending.memberCount
        let folded = pending.take()
        #expect(pending.isEmpty)
        #expect(folded.count == rowCount)
        #expect(folded.count == expected.rows.count)  // bounded by rows, not rounds x rows
        var actual = RollupTotals()
        actual.apply(folded)
        #expect(actual.rows == expected.rows)
        #expect(members == expected.rows.values.reduce(0) { $0 + $1.unique })
        #expect(members > 0)
    }
}
