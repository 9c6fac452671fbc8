import Foundation
import MeterCore
import Testing

/// `waitForRecords` sleeps on a condition variable: it returns at once when records wait,
/// at the timeout when none come, and soon after a push from another thread.
@Suite struct RingWaitTests {
    @Test func returnsAtOnceWhenRecordsWait() {
        let ring = ShardedRing(shardCount: 2, bytesPerShard: 64)
        #expect(ring.push(RingTestSupport.batch([[1]]), toShard: 1).isComplete)
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(ring.waitForRecords(shard: 1, timeout: .seconds(10))) }
        #expect(elapsed < .seconds(1))
        #expect(!ring.waitForRecords(shard: 0, timeout: .zero))
    }

    @Test func timesOutWhenNothingComes() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 64)
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(!ring.waitForRecords(shard: 0, timeout: .milliseconds(30))) }
        #expect(elapsed >= .milliseconds(30) && elapsed < .seconds(5))
    }

    @Test func wakesWhenAnotherThreadPushes() {
        let ring = ShardedRing(shardCount: 1, bytesPerShard: 64)
        Thread {
            Thread.sleep(forTimeInterval: 0.05)
            _ = ring.push(RingTestSupport.batch([[7, 7]]), toShard: 0)
        }.start()
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(ring.waitForRecords(shard: 0, timeout: .seconds(20))) }
        #expect(elapsed < .seconds(10))
        #expect(ring.occupancy(shard: 0) == (6, 1))
    }

    @Test func wakeConsumerEndsAWaitWithoutRecords() {
        let ring = ShardedRing(shardCount: 2, bytesPerShard: 64)
        Thread {
            Thread.sleep(forTimeInterval: 0.05)
            ring.wakeConsumer(shard: 0)
        }.start()
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(!ring.waitForRecords(shard: 0, timeout: .seconds(20))) }
        #expect(elapsed < .seconds(10))
        // A wake before the wait is not lost: the next wait returns at once, once.
        ring.wakeConsumer(shard: 1)
        #expect(clock.measure { _ = ring.waitForRecords(shard: 1, timeout: .seconds(20)) } < .seconds(10))
        #expect(clock.measure { _ = ring.waitForRecords(shard: 1, timeout: .milliseconds(30)) } >= .milliseconds(30))
    }
}
