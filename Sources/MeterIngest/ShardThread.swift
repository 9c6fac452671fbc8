import MeterCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The aggregation loop of one shard, run on a dedicated thread (not Swift concurrency's
/// cooperative pool: it blocks in `waitForRecords`).
///
/// It drains the shard in bulk, publishes its counts once per drained run, and, when the
/// flusher asks for a round, collects its aggregator's deltas on this thread (the aggregator
/// has one owner) and posts them. On stop it drains the shard to the end and posts a final
/// round.
struct ShardLoop: Sendable {
    /// The round posted at shutdown, after the shard was drained to the end.
    static let finalRound = -1
    /// How long the thread sleeps on an empty shard before checking for a flush or a stop.
    static let idleWait = Duration.milliseconds(20)
    /// Drains between two checks of the flusher's requests while the shard stays busy.
    static let drainsPerCheck = 64

    let engine: MeterEngine
    let shard: Int
    let control: ShardControl
    let mailbox: FlushMailbox
    let stats: AggregateStats

    func run() {
        let consumer = engine.consumer(shard: shard)
        var round = 0
        var published = ShardSnapshot()
        func publish() {
            let snapshot = ShardSnapshot(counts: consumer.counts, series: consumer.aggregator.seriesCount)
            if snapshot != published {
                stats.publish(shard: shard, snapshot)
                published = snapshot
            }
        }
        func collect(round: Int) {
            var deltas: [RollupDelta] = []
            consumer.aggregator.collectDeltas(now: wallSeconds(), into: &deltas)
            publish()
            mailbox.post(round: round, deltas: deltas)
        }
        while true {
            stats.recordTurn(shard: shard)
            var emptied = false
            for _ in 0..<Self.drainsPerCheck where consumer.drainOnce() == 0 {
                emptied = true
                break
            }
            publish()
            let requested = control.requestedRound
            if requested != round {
                round = requested
                collect(round: round)
            }
            if control.isStopping {
                consumer.drainAll()
                collect(round: Self.finalRound)
                return
            }
            if emptied {
                _ = engine.ring.waitForRecords(shard: shard, timeout: Self.idleWait)
            }
        }
    }
}

/// Starts one detached POSIX thread per shard and reports when they have all returned.
final class ShardThreads: Sendable {
    private let running: Mutex<Int>

    init(loops: [ShardLoop]) {
        running = Mutex(loops.count)
        for loop in loops {
            let box = Unmanaged.passRetained(ThreadBody(loop: loop, threads: self))
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, shardThreadEntry, box.toOpaque())
            precondition(result == 0, "pthread_create failed: \(result)")
            pthread_detach(thread)
        }
    }

    fileprivate func exited() {
        running.withLock { $0 -= 1 }
    }

    var allExited: Bool { running.withLock { $0 == 0 } }

    func waitUntilExited() async {
        while !allExited {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}

private final class ThreadBody: Sendable {
    let loop: ShardLoop
    let threads: ShardThreads
    init(loop: ShardLoop, threads: ShardThreads) {
        self.loop = loop
        self.threads = threads
    }
}

#if canImport(Glibc)
private func shardThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
    body.loop.run()
    body.threads.exited()
    return nil
}
#else
private func shardThreadEntry(_ argument: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    let body = Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue()
    body.loop.run()
    body.threads.exited()
    return nil
}
#endif
