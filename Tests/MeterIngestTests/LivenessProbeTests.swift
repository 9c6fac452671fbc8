@testable import MeterIngest
import NIOCore
import NIOPosix
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LivenessProbeTests {
    @Test func turningLoopsAndThreadsAreHealthy() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let probe = LivenessProbe(group: group, aggregateStats: AggregateStats(shardCount: 2), flushStats: FlushStats(),
                                  stallLimit: .seconds(2))
        #expect(await probe.problems().isEmpty)
        try await group.shutdownGracefully()
    }

    @Test func aBlockedEventLoopIsReported() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let probe = LivenessProbe(group: group, aggregateStats: AggregateStats(shardCount: 1), flushStats: FlushStats(),
                                  stallLimit: .milliseconds(200))
        let loops = Array(group.makeIterator())
        // Wedge the second loop until the probe has answered, however slowly this test runs.
        let released = Atomic<Bool>(false)
        loops[1].execute { while !released.load(ordering: .acquiring) { usleep(1_000) } }
        let problems = await probe.problems()
        released.store(true, ordering: .releasing)
        #expect(problems == ["event loop 1 did not run a task within 0.2 seconds"])
        try await group.shutdownGracefully()
    }

    @Test func threadsThatStoppedTurningAreReported() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let stats = AggregateStats(shardCount: 2)
        let flushStats = FlushStats()
        let probe = LivenessProbe(group: group, aggregateStats: stats, flushStats: flushStats, stallLimit: .seconds(10))
        let start = stats.lastTurns()[0]
        #expect(probe.stalledThreads(now: start + 5).isEmpty)
        #expect(probe.stalledThreads(now: start + 30) == [
            "shard 0 aggregation thread has not turned for 30 s",
            "shard 1 aggregation thread has not turned for \(Int(start + 30 - stats.lastTurns()[1])) s",
            "aggregation loop has not turned for \(Int(start + 30 - flushStats.lastLoopIteration)) s",
        ])
        // A turn resets the clock of that part only.
        usleep(20_000)
        stats.recordTurn(shard: 1)
        let turned = stats.lastTurns()[1]
        #expect(turned > start)
        #expect(probe.stalledThreads(now: turned + 9.99).count == 2)  // shard 0 and the loop were older
        #expect(!probe.stalledThreads(now: turned + 9.99).contains { $0.hasPrefix("shard 1") })
    }
}
