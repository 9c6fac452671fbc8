import MeterCore
import Testing

@Suite struct RingShardSelectionTests {
    @Test(arguments: [1, 2, 3, 7, 16, 64, 1000])
    func indexIsInRangeAtTheExtremes(shardCount: Int) {
        let ring = ShardedRing(shardCount: shardCount, bytesPerShard: 16)
        #expect(ring.shardIndex(forHash: 0) == 0)
        #expect(ring.shardIndex(forHash: .max) == shardCount - 1)
        var generator = SeededGenerator(seed: UInt64(shardCount))
        for _ in 0..<10_000 {
            let index = ring.shardIndex(forHash: generator.next())
            #expect(index >= 0 && index < shardCount)
        }
    }

    /// Multiply-high gives each shard an equal slice of the hash range.
    @Test func equalSlicesOfTheHashRange() {
        let ring = ShardedRing(shardCount: 16, bytesPerShard: 16)
        for shard in 0..<16 {
            let low = UInt64(shard) << 60
            #expect(ring.shardIndex(forHash: low) == shard)
            #expect(ring.shardIndex(forHash: low | (1 << 60 - 1)) == shard)
        }
    }

    @Test(arguments: [3, 7, 16])
    func realShardHashesSpreadEvenly(shardCount: Int) {
        let ring = ShardedRing(shardCount: shardCount, bytesPerShard: 16)
        let hasher = ByteHasher(seed: 0x5eed)
        let samples = 60_000
        var counts = Array(repeating: 0, count: shardCount)
        for index in 0..<samples {
            // Keys like "tenant-42" + "metric-3", hashed as EventRecord.shardHash does.
            var tenant = Array("tenant-\(index / 7)".utf8)
            var metric = Array("metric-\(index % 7)".utf8)
            let state = tenant.withUnsafeBytes { hasher.combine(hasher.seed, $0) }
            let hash = hasher.finish(metric.withUnsafeBytes { hasher.combine(state, $0) })
            tenant.removeAll()
            metric.removeAll()
            counts[ring.shardIndex(forHash: hash)] += 1
        }
        let mean = Double(samples) / Double(shardCount)
        for count in counts {
            #expect(abs(Double(count) - mean) < mean * 0.05, "counts \(counts)")
        }
    }
}
