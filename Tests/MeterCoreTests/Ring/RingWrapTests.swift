import MeterCore
import Testing

/// Clear-box tests: every record size starting at every byte of small rings, so the record
/// (and, near the end, its length prefix) splits at every possible byte.
@Suite struct RingWrapTests {
    static let capacities = Array(16...64) + [5, 6, 7, 9, 11, 13, 101]

    @Test(arguments: capacities)
    func everyRecordSizeAtEveryOffset(capacity: Int) {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: capacity)
        let out = RecordBatch(capacity: capacity)
        var tag = 0
        var prefixSplits = Set<Int>()
        for offset in 0..<capacity {
            for framed in RecordBatch.prefixBytes...capacity {
                RingTestSupport.advance(ring, shard: 0, to: offset)
                tag += 1
                let body = RingTestSupport.body(count: framed - RecordBatch.prefixBytes, tag: tag)
                let outcome = ring.push(RingTestSupport.batch([body]), toShard: 0)
                #expect(outcome == RingPushOutcome(recordsPushed: 1, bytesPushed: framed, nextByteOffset: framed,
                                                   recordsRemaining: 0, blockingRecordBytes: 0, oversizedRecord: false))
                let positions = ring.positions(shard: 0)
                #expect(positions.head == offset && positions.usedBytes == framed && positions.usedRecords == 1)
                if capacity - offset < RecordBatch.prefixBytes { prefixSplits.insert(capacity - offset) }

                out.removeAll()
                #expect(ring.drain(shard: 0, into: out) == 1)
                #expect(out.byteCount == framed)
                #expect(RingTestSupport.bodies(of: out) == [body])
                let after = ring.positions(shard: 0)
                #expect(after.head == (offset + framed) % capacity && after.usedBytes == 0 && after.usedRecords == 0)
            }
        }
        // The prefix itself was split after its first, second and third byte.
        #expect(prefixSplits == [1, 2, 3])
    }

    /// Several records per batch, pushed at every offset and drained in pieces, so a wrap
    /// falls inside a batch's copy and inside records that are not first.
    @Test(arguments: capacities)
    func batchesWrapAtEveryOffset(capacity: Int) {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: capacity)
        let sizes = [0, 1, 3, 4, 5, 7, 11, 2, 9, 6, 13, 8].map { min($0, capacity - RecordBatch.prefixBytes) }
        var generator = SeededGenerator(seed: UInt64(capacity))
        var tag = 0
        for offset in 0..<capacity {
            RingTestSupport.advance(ring, shard: 0, to: offset)
            // Fill with whole records from a rotating slice of `sizes` until the next does not fit.
            var bodies: [[UInt8]] = []
            var used = 0
            var index = offset
            while true {
                let count = sizes[index % sizes.count]
                if used + count + RecordBatch.prefixBytes > capacity { break }
                tag += 1
                bodies.append(RingTestSupport.body(count: count, tag: tag))
                used += count + RecordBatch.prefixBytes
                index += 1
            }
            let outcome = ring.push(RingTestSupport.batch(bodies), toShard: 0)
            #expect(outcome.isComplete && outcome.recordsPushed == bodies.count && outcome.bytesPushed == used)
            #expect(ring.occupancy(shard: 0) == (used, bodies.count))

            // Drain through batches of random small capacities, at least the largest record.
            var drained: [[UInt8]] = []
            let largest = bodies.map { $0.count + RecordBatch.prefixBytes }.max() ?? RecordBatch.prefixBytes
            while drained.count < bodies.count {
                let out = RecordBatch(capacity: Int.random(in: max(largest, 5)...max(largest, 5) + 12, using: &generator))
                let moved = ring.drain(shard: 0, into: out)
                #expect(moved >= 1 && moved == out.recordCount)
                drained += RingTestSupport.bodies(of: out)
            }
            #expect(drained == bodies)
            #expect(ring.positions(shard: 0).head == (offset + used) % capacity)
        }
    }
}
