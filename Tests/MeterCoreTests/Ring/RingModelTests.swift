import MeterCore
import Testing

/// Seeded random interleavings of pushes and drains on several shards, checked step by step
/// against a plain queue of record bodies per shard.
@Suite struct RingModelTests {
    /// The reference: records as arrays in FIFO order, with the same capacity rule.
    struct ModelShard {
        let capacity: Int
        var records: [[UInt8]] = []
        var first = 0   // index of the oldest record still queued
        var bytes = 0
        var counters = RingShardCounters(recordsPushed: 0, recordsDrained: 0, pushesRefused: 0, oversizedRefusals: 0)

        var queued: ArraySlice<[UInt8]> { records[first...] }

        mutating func push(_ bodies: [[UInt8]], from index: Int, startingAt byteOffset: Int) -> RingPushOutcome {
            var pushed = 0
            var pushedBytes = 0
            var blocking = 0
            for body in bodies[index...] {
                let framed = body.count + RecordBatch.prefixBytes
                if framed > capacity - bytes { blocking = framed; break }
                records.append(body)
                bytes += framed
                pushed += 1
                pushedBytes += framed
            }
            let oversized = blocking > capacity
            counters.recordsPushed += pushed
            if oversized { counters.oversizedRefusals += 1 } else if blocking > 0 { counters.pushesRefused += 1 }
            return RingPushOutcome(recordsPushed: pushed, bytesPushed: pushedBytes, nextByteOffset: byteOffset + pushedBytes,
                                   recordsRemaining: bodies.count - index - pushed, blockingRecordBytes: blocking,
                                   oversizedRecord: oversized)
        }

        mutating func drain(room: Int) -> [[UInt8]] {
            var moved: [[UInt8]] = []
            var used = 0
            while first < records.count {
                let framed = records[first].count + RecordBatch.prefixBytes
                if framed > room - used { break }
                moved.append(records[first])
                used += framed
                bytes -= framed
                first += 1
            }
            counters.recordsDrained += moved.count
            return moved
        }
    }

    /// A push the producer has not finished: the batch, its bodies, and where to resume.
    struct Pending {
        var batch: RecordBatch
        var bodies: [[UInt8]]
        var recordIndex: Int
        var byteOffset: Int
    }

    @Test(arguments: [0x5eed_0001, 0x5eed_0002, 0x5eed_0003, 0xdead_beef] as [UInt64])
    func matchesQueueModel(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let capacities = [23, 48, 97]
        // One ring per capacity, so every shard of a ring has the same size as the API demands.
        let rings = capacities.map { ShardedRing(shardCount: 2, bytesPerShard: $0) }
        var models = capacities.flatMap { capacity in [ModelShard(capacity: capacity), ModelShard(capacity: capacity)] }
        var pending: [Pending?] = Array(repeating: nil, count: models.count)
        var tag = 0

        for step in 0..<20_000 {
            let target = Int.random(in: 0..<models.count, using: &generator)
            let ring = rings[target / 2]
            let shard = target % 2
            let capacity = capacities[target / 2]

            if Int.random(in: 0..<10, using: &generator) < 5 {
                // Push: resume an unfinished batch, or a new one of 0...5 records, sometimes one oversized.
                var push: Pending
                if let unfinished = pending[target], Bool.random(using: &generator) {
                    push = unfinished
                } else {
                    var bodies: [[UInt8]] = []
                    for _ in 0..<Int.random(in: 0...5, using: &generator) {
                        tag += 1
                        let count = Int.random(in: 0...100, using: &generator) < 3
                            ? capacity + Int.random(in: -3...5, using: &generator)
                            : Int.random(in: 0...capacity / 3, using: &generator)
                        bodies.append(RingTestSupport.body(count: max(count, 0), tag: tag))
                    }
                    push = Pending(batch: RingTestSupport.batch(bodies), bodies: bodies, recordIndex: 0, byteOffset: 0)
                }
                let expected = models[target].push(push.bodies, from: push.recordIndex, startingAt: push.byteOffset)
                let actual = ring.push(push.batch, toShard: shard, startingAt: push.byteOffset)
                #expect(actual == expected, "seed \(seed) step \(step)")
                if actual != expected { return }
                push.recordIndex += actual.recordsPushed
                push.byteOffset = actual.nextByteOffset
                if actual.oversizedRecord {
                    // What a caller does: count a drop and step over the record.
                    push.recordIndex += 1
                    push.byteOffset += actual.blockingRecordBytes
                }
                pending[target] = push.recordIndex < push.bodies.count ? push : nil
            } else {
                // Drain into a batch that may already hold a record and may be smaller than what waits.
                let prefill = Bool.random(using: &generator) ? Int.random(in: 0...20, using: &generator) : -1
                let batchCapacity = prefill < 0
                    ? capacity + Int.random(in: 0...8, using: &generator)
                    : prefill + RecordBatch.prefixBytes + Int.random(in: 1...capacity, using: &generator)
                let out = RecordBatch(capacity: batchCapacity)
                if prefill >= 0 { RingTestSupport.append(RingTestSupport.body(count: prefill, tag: -2), to: out) }
                let before = out.recordCount
                let expected = models[target].drain(room: out.freeBytes)
                let moved = ring.drain(shard: shard, into: out)
                let drained = Array(RingTestSupport.bodies(of: out).dropFirst(before))
                #expect(moved == expected.count && drained == expected, "seed \(seed) step \(step)")
                if drained != expected { return }
            }

            let model = models[target]
            #expect(ring.occupancy(shard: shard) == (model.bytes, model.queued.count), "seed \(seed) step \(step)")
            #expect(ring.counters(shard: shard) == model.counters, "seed \(seed) step \(step)")
            let positions = ring.positions(shard: shard)
            #expect(positions.usedBytes == model.bytes && positions.usedRecords == model.queued.count)
            #expect(positions.head >= 0 && positions.head < capacity)
        }
    }
}
