import Foundation
import MeterCore
import Testing

/// A sync barrier's markers go through the ring like records, so pushing them wakes a shard
/// thread asleep on an empty shard at once: an idle shard does not answer only after its
/// idle wait (`ShardLoop.idleWait`). The waits here are a minute long; without the wake-up
/// the test would take that minute and fail its bound.
@Suite struct MarkerWakeTests {
    @Test func aBarriersMarkersWakeEveryIdleShard() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 4
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 5))
        let woken = DispatchGroup()
        let clock = ContinuousClock()
        let start = clock.now
        for shard in 0..<configuration.shardCount {
            woken.enter()
            Thread {
                #expect(engine.ring.waitForRecords(shard: shard, timeout: .seconds(60)))
                woken.leave()
            }.start()
        }
        // Let the consumers register as waiters on their empty shards.
        Thread.sleep(forTimeInterval: 0.1)
        let worker = engine.makeWorker(policy: .report)
        #expect(worker.offerMarker(barrier: engine.barriers.register { _, _, _ in }))
        #expect(worker.publish())
        #expect(woken.wait(timeout: .now() + 30) == .success)
        #expect(clock.now - start < .seconds(30))
        for shard in 0..<configuration.shardCount {
            #expect(engine.ring.occupancy(shard: shard).records == 1)
        }
    }
}
