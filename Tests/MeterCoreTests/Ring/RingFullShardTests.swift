import MeterCore
import Testing

/// A full shard refuses exactly what does not fit, reports it, and takes the rest once drained.
@Suite struct RingFullShardTests {
    typealias Support = RingTestSupport

    func outcome(_ pushed: Int, _ bytes: Int, next: Int, remaining: Int, blocking: Int = 0,
                 oversized: Bool = false) -> RingPushOutcome {
        RingPushOutcome(recordsPushed: pushed, bytesPushed: bytes, nextByteOffset: next, recordsRemaining: remaining,
                        blockingRecordBytes: blocking, oversizedRecord: oversized)
    }

    @Test func pushUntilRefusedThenRetryAfterDrain() {
        let ring = ShardedRing(shardCount: 2, bytesPerShard: 64)
        let bodies = (0..<4).map { Support.body(count: 16, tag: $0) }   // 20 framed bytes each
        let batch = Support.batch(bodies)

        let first = ring.push(batch, toShard: 1)
        #expect(first == outcome(3, 60, next: 60, remaining: 1, blocking: 20))
        #expect(!first.isComplete)
        #expect(ring.occupancy(shard: 1) == (60, 3))
        #expect(ring.occupancy(shard: 0) == (0, 0))

        // Still full: nothing moves, the same offset comes back.
        let again = ring.push(batch, toShard: 1, startingAt: first.nextByteOffset)
        #expect(again == outcome(0, 0, next: 60, remaining: 1, blocking: 20))

        // The last 4 bytes take a bare prefix, and then not even that fits.
        let bare = Support.batch([[], []])
        #expect(ring.push(bare, toShard: 1) == outcome(1, 4, next: 4, remaining: 1, blocking: 4))
        #expect(ring.occupancy(shard: 1) == (64, 4))
        #expect(ring.counters(shard: 1) == RingShardCounters(recordsPushed: 4, recordsDrained: 0,
                                                              pushesRefused: 3, oversizedRefusals: 0))

        // Draining one record frees 20 bytes: the retry completes from `nextByteOffset`.
        let out = RecordBatch(capacity: 24)
        #expect(ring.drain(shard: 1, into: out) == 1)
        #expect(Support.bodies(of: out) == [bodies[0]])
        let retry = ring.push(batch, toShard: 1, startingAt: again.nextByteOffset)
        #expect(retry == outcome(1, 20, next: 80, remaining: 0))
        #expect(retry.isComplete)
        #expect(ring.occupancy(shard: 1) == (64, 4))

        let rest = RecordBatch(capacity: 64)
        #expect(ring.drain(shard: 1, into: rest) == 4)
        #expect(Support.bodies(of: rest) == [bodies[1], bodies[2], [], bodies[3]])
        #expect(ring.occupancy(shard: 1) == (0, 0))
        #expect(ring.counters(shard: 1) == RingShardCounters(recordsPushed: 5, recordsDrained: 5,
                                                              pushesRefused: 3, oversizedRefusals: 0))
    }

    @Test func recordOfExactlyTheCapacityFitsOnlyAnEmptyShard() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 40)
        let whole = Support.batch([Support.body(count: 36, tag: 1)])
        #expect(ring.push(whole, toShard: 0) == outcome(1, 40, next: 40, remaining: 0))
        #expect(ring.push(whole, toShard: 0) == outcome(0, 0, next: 0, remaining: 1, blocking: 40))
        let out = RecordBatch(capacity: 40)
        #expect(ring.drain(shard: 0, into: out) == 1)
        #expect(ring.push(whole, toShard: 0).isComplete)
    }

    @Test func oversizedRecordIsReportedAndCanBeSkipped() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 64)
        let small = Support.body(count: 6, tag: 1)
        let huge = Support.body(count: 66, tag: 2)     // 70 framed bytes: more than the shard
        let last = Support.body(count: 6, tag: 3)
        let batch = Support.batch([small, huge, last])

        let first = ring.push(batch, toShard: 0)
        #expect(first == outcome(1, 10, next: 10, remaining: 2, blocking: 70, oversized: true))
        // An empty shard does not change the answer: it can never fit.
        let out = RecordBatch(capacity: 64)
        #expect(ring.drain(shard: 0, into: out) == 1)
        #expect(ring.push(batch, toShard: 0, startingAt: 10) == outcome(0, 0, next: 10, remaining: 2, blocking: 70,
                                                                        oversized: true))
        // The caller counts a drop and continues after it.
        let skip = ring.push(batch, toShard: 0, startingAt: first.nextByteOffset + first.blockingRecordBytes)
        #expect(skip == outcome(1, 10, next: 90, remaining: 0))
        #expect(ring.counters(shard: 0) == RingShardCounters(recordsPushed: 2, recordsDrained: 1,
                                                              pushesRefused: 0, oversizedRefusals: 2))
        out.removeAll()
        #expect(ring.drain(shard: 0, into: out) == 1)
        #expect(Support.bodies(of: out) == [last])
    }

    @Test func emptyPushesAndDrainsDoNothing() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 32)
        let empty = RecordBatch(capacity: 32)
        #expect(ring.push(empty, toShard: 0) == outcome(0, 0, next: 0, remaining: 0))
        let batch = Support.batch([[1, 2, 3]])
        #expect(ring.push(batch, toShard: 0, startingAt: batch.byteCount) == outcome(0, 0, next: 7, remaining: 0))
        #expect(ring.drain(shard: 0, into: empty) == 0)
        #expect(ring.counters(shard: 0) == RingShardCounters(recordsPushed: 0, recordsDrained: 0,
                                                              pushesRefused: 0, oversizedRefusals: 0))
    }

    /// A consumer batch with some records already in it and no room for the next one is not
    /// an error: the drain moves nothing and the records stay in the shard.
    @Test func drainIntoAFullBatchMovesNothing() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 64)
        #expect(ring.push(Support.batch([Support.body(count: 20, tag: 1)]), toShard: 0).isComplete)
        let out = Support.batch([Support.body(count: 20, tag: 9)], capacity: 40)
        #expect(ring.drain(shard: 0, into: out) == 0)
        #expect(out.recordCount == 1)
        #expect(ring.occupancy(shard: 0) == (24, 1))
    }

    /// A batch smaller than what is pending drains over several calls, whole records each
    /// time, appended after what the batch already holds, in FIFO order.
    @Test func smallBatchesDrainInSeveralCallsInOrder() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 200)
        let bodies = (0..<12).map { Support.body(count: [3, 10, 0, 17, 5, 8][$0 % 6], tag: $0) }
        #expect(ring.push(Support.batch(bodies), toShard: 0).isComplete)

        var drained: [[UInt8]] = []
        var calls = 0
        let out = RecordBatch(capacity: 30)
        Support.append([0xEE], to: out)   // already holds a record: new ones go after it
        while ring.occupancy(shard: 0).records > 0 {
            let before = out.recordCount
            let moved = ring.drain(shard: 0, into: out)
            #expect(moved >= 1 && out.recordCount == before + moved)
            #expect(out.byteCount <= out.capacity)
            drained += Support.bodies(of: out).dropFirst(before)
            out.removeAll()
            calls += 1
        }
        #expect(drained == bodies)
        #expect(calls >= 4)
        #expect(ring.counters(shard: 0).recordsDrained == 12)
    }

    @Test func constructionAndProgrammerErrorsTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = ShardedRing(shardCount: 0, bytesPerShard: 64)
        }
        await #expect(processExitsWith: .failure) {
            let ring = ShardedRing(shardCount: 2, bytesPerShard: 64)
            _ = ring.drain(shard: 2, into: RecordBatch(capacity: 64))
        }
        await #expect(processExitsWith: .failure) {
            // Offset 3 is inside the first record's prefix.
            let ring = ShardedRing(shardCount: 1, bytesPerShard: 64)
            _ = ring.push(RingTestSupport.batch([[1, 2], [3]]), toShard: 0, startingAt: 3)
        }
        await #expect(processExitsWith: .failure) {
            // An empty batch too small for the oldest record would stall the shard forever.
            let ring = ShardedRing(shardCount: 1, bytesPerShard: 64)
            _ = ring.push(RingTestSupport.batch([RingTestSupport.body(count: 30, tag: 0)]), toShard: 0)
            _ = ring.drain(shard: 0, into: RecordBatch(capacity: 16))
        }
    }
}
