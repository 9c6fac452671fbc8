import MeterCore
import NIOCore
import Synchronization

/// Whether the daemon's moving parts still turn, for the systemd watchdog: a `WATCHDOG=1` is
/// sent only while this finds no problem, so systemd restarts a wedged meterd instead of
/// trusting a timer that keeps firing.
///
/// Checked: every SwiftNIO event loop runs a no-op within `stallLimit` (listeners and HTTP
/// live there); every shard aggregation thread turned within `stallLimit`; the aggregation
/// loop (the flusher) turned within `stallLimit`. A PostgreSQL or Redis outage is not a
/// problem: their writes run on their own threads and the loops keep turning.
public struct LivenessProbe: Sendable {
    /// How long a part may go without turning before it counts as wedged. Long enough for a
    /// flush round's delta collection over millions of series.
    public static let defaultStallLimit = Duration.seconds(10)

    let loops: [any EventLoop]
    let aggregateStats: AggregateStats
    let flushStats: FlushStats
    let stallLimit: Duration

    public init(group: any EventLoopGroup, aggregateStats: AggregateStats, flushStats: FlushStats,
                stallLimit: Duration = Self.defaultStallLimit) {
        loops = Array(group.makeIterator())
        self.aggregateStats = aggregateStats
        self.flushStats = flushStats
        self.stallLimit = stallLimit
    }

    /// What is wedged, one short text each; empty when everything turns.
    public func problems() async -> [String] {
        var problems = stalledThreads(now: monotonicSeconds())
        problems += await stalledEventLoops()
        return problems
    }

    func stalledThreads(now: Double) -> [String] {
        let limit = Self.seconds(stallLimit)
        var problems: [String] = []
        for (shard, turn) in aggregateStats.lastTurns().enumerated() where now - turn > limit {
            problems.append("shard \(shard) aggregation thread has not turned for \(Int(now - turn)) s")
        }
        let flushTurn = flushStats.lastLoopIteration
        if now - flushTurn > limit {
            problems.append("aggregation loop has not turned for \(Int(now - flushTurn)) s")
        }
        return problems
    }

    /// Submits a no-op to every event loop and waits up to `stallLimit` for all of them.
    func stalledEventLoops() async -> [String] {
        let ran = loops.map { _ in Flag() }
        for (loop, flag) in zip(loops, ran) {
            loop.execute { flag.set() }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + stallLimit
        while !ran.allSatisfy(\.isSet) && clock.now < deadline {
            await uncancelledSleep(.milliseconds(5))
        }
        return ran.enumerated().filter { !$0.element.isSet }.map { "event loop \($0.offset) did not run a task within \(stallLimit)" }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }
}
