import Dispatch
import Foundation
import MeterCore
import Synchronization
import Testing

/// Producers and consumers on real threads: every record arrives exactly once and, per
/// producer and shard, in the order it was pushed.
@Suite struct RingConcurrencyTests {
    /// Each record body: producer, sequence, then `padding` bytes derived from both, so a torn
    /// or misplaced record fails the check.
    static func body(producer: Int, sequence: Int, padding: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + padding)
        withUnsafeBytes(of: UInt32(producer).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(sequence).littleEndian) { bytes += $0 }
        for index in 0..<padding { bytes.append(UInt8(truncatingIfNeeded: producer &* 31 &+ sequence &+ index)) }
        return bytes
    }

    struct Tag: Hashable { var producer: Int; var sequence: Int }

    /// Decodes and checks one body; nil when it is malformed.
    static func tag(of body: UnsafeRawBufferPointer) -> Tag? {
        guard body.count >= 8 else { return nil }
        let producer = Int(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        let sequence = Int(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        for index in 8..<body.count where body[index] != UInt8(truncatingIfNeeded: producer &* 31 &+ sequence &+ index - 8) {
            return nil
        }
        return Tag(producer: producer, sequence: sequence)
    }

    final class Results: Sendable {
        let perShard: Mutex<[[Tag]]>
        let malformed = Atomic<Int>(0)
        let producersDone = Atomic<Bool>(false)
        init(shards: Int) { perShard = Mutex(Array(repeating: [], count: shards)) }
    }

    @Test func producersAndConsumersAgree() {
        let shardCount = 4
        let producerCount = 3
        let recordsPerProducer = 20_000
        // Small shards so producers hit full shards and records wrap constantly.
        let ring = ShardedRing(shardCount: shardCount, bytesPerShard: 256)
        let results = Results(shards: shardCount)
        let producers = DispatchGroup()
        let consumers = DispatchGroup()

        for shard in 0..<shardCount {
            consumers.enter()
            Thread {
                let out = RecordBatch(capacity: ring.bytesPerShard)
                var tags: [Tag] = []
                while true {
                    let done = results.producersDone.load(ordering: .acquiring)
                    out.removeAll()
                    if ring.drain(shard: shard, into: out) > 0 {
                        out.forEachRecord { body in
                            if let tag = Self.tag(of: body) { tags.append(tag) } else { results.malformed.add(1, ordering: .relaxed) }
                        }
                    } else if done {
                        break   // every push finished before `done` was set, and the shard is empty
                    } else {
                        _ = ring.waitForRecords(shard: shard, timeout: .milliseconds(20))
                    }
                }
                results.perShard.withLock { $0[shard] = tags }
                consumers.leave()
            }.start()
        }

        for producer in 0..<producerCount {
            producers.enter()
            Thread {
                var generator = SeededGenerator(seed: UInt64(producer) &+ 0x1234)
                let batches = (0..<shardCount).map { _ in RecordBatch(capacity: 96) }
                let hasher = ByteHasher(seed: 7)
                func flush(_ shard: Int) {
                    var offset = 0
                    while true {
                        let outcome = ring.push(batches[shard], toShard: shard, startingAt: offset)
                        precondition(!outcome.oversizedRecord, "test records fit the shard")
                        if outcome.isComplete { break }
                        offset = outcome.nextByteOffset
                        sched_yield()   // backpressure: let the consumer drain
                    }
                    batches[shard].removeAll()
                }
                for sequence in 0..<recordsPerProducer {
                    let key = UInt64.random(in: 0..<64, using: &generator)
                    let shard = ring.shardIndex(forHash: hasher.finish(hasher.combine(key, UInt64(producer))))
                    let record = Self.body(producer: producer, sequence: sequence, padding: Int.random(in: 0...24, using: &generator))
                    if batches[shard].freeBytes < record.count + RecordBatch.prefixBytes { flush(shard) }
                    RingTestSupport.append(record, to: batches[shard])
                }
                for shard in 0..<shardCount { flush(shard) }
                producers.leave()
            }.start()
        }

        #expect(producers.wait(timeout: .now() + 60) == .success)
        results.producersDone.store(true, ordering: .releasing)
        #expect(consumers.wait(timeout: .now() + 60) == .success)

        let perShard = results.perShard.withLock { $0 }
        #expect(results.malformed.load(ordering: .relaxed) == 0)
        var seen = Set<Tag>()
        for tags in perShard {
            var last = Array(repeating: -1, count: producerCount)
            for tag in tags {
                #expect(seen.insert(tag).inserted, "duplicate \(tag)")
                #expect(tag.sequence > last[tag.producer], "out of order \(tag)")
                last[tag.producer] = tag.sequence
            }
        }
        #expect(seen.count == producerCount * recordsPerProducer)
        var pushed = 0
        var drained = 0
        for shard in 0..<shardCount {
            let counters = ring.counters(shard: shard)
            pushed += counters.recordsPushed
            drained += counters.recordsDrained
            #expect(ring.occupancy(shard: shard) == (0, 0))
            #expect(perShard[shard].count == counters.recordsDrained)
        }
        #expect(pushed == producerCount * recordsPerProducer && drained == pushed)
    }
}
