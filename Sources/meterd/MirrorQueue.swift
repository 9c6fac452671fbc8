import MeterCore

/// One committed flush round for the mirror: its deltas and the flush counter it committed as
/// (`RollupSink.committedWrites` read right after the write returned; nil when the sink does
/// not count). A resync at counter C makes every round with counter <= C redundant.
struct MirrorRound: Sendable {
    var deltas: [RollupDelta]
    var counter: Int64?
}

/// The bounded FIFO of committed flush rounds between the flusher (producer, never blocks)
/// and the Redis mirror thread (consumer, blocks while it waits for work).
///
/// When `capacity` rounds are waiting, `push` drops the oldest one and counts it: memory stays
/// bounded however long Redis is away, and the flusher never waits for the mirror.
/// A `ConditionLock`, not `Synchronization.Mutex`, because the consumer sleeps until work
/// arrives, the queue closes, or a back-off delay ends.
final class MirrorQueue: @unchecked Sendable {
    // @unchecked: every stored var below is read and written only with `lock` held.
    private let lock = ConditionLock()
    private var rounds: [MirrorRound] = []
    private var closing = false
    let capacity: Int
    /// Called with the new depth on every change, with the lock held, so a depth gauge never
    /// ends on a stale value written by the other thread.
    private let depthChanged: @Sendable (Int) -> Void

    init(capacity: Int, depthChanged: @escaping @Sendable (Int) -> Void = { _ in }) {
        precondition(capacity > 0, "the mirror queue needs room for at least one round")
        self.capacity = capacity
        self.depthChanged = depthChanged
    }

    /// Appends a round; returns the queue depth after the push and whether the oldest round
    /// had to be dropped to make room.
    func push(_ round: MirrorRound) -> (depth: Int, droppedOldest: Bool) {
        lock.locked {
            var dropped = false
            if rounds.count >= capacity {
                rounds.removeFirst()
                dropped = true
            }
            rounds.append(round)
            depthChanged(rounds.count)
            lock.broadcast()
            return (rounds.count, dropped)
        }
    }

    /// Puts a round taken with `next()` back at the front (it was never sent). Returns false,
    /// and drops it, when newer rounds filled the queue meanwhile.
    func requeueFront(_ round: MirrorRound) -> (depth: Int, requeued: Bool) {
        lock.locked {
            guard rounds.count < capacity else { return (rounds.count, false) }
            rounds.insert(round, at: 0)
            depthChanged(rounds.count)
            return (rounds.count, true)
        }
    }

    /// The oldest round, waiting for one; nil once the queue is closed and empty.
    func next() -> (round: MirrorRound, depth: Int)? {
        lock.locked {
            while rounds.isEmpty && !closing { lock.wait() }
            return takeFirst()
        }
    }

    /// The oldest round, waiting at most `limit` for one; nil when none came (or the queue is
    /// closed and empty).
    func next(waitingAtMost limit: Duration) -> (round: MirrorRound, depth: Int)? {
        lock.locked {
            let deadline = ConditionLock.deadline(after: limit)
            while rounds.isEmpty && !closing {
                if !lock.wait(until: deadline) { break }
            }
            return takeFirst()
        }
    }

    /// With the lock held.
    private func takeFirst() -> (round: MirrorRound, depth: Int)? {
        guard !rounds.isEmpty else { return nil }
        let round = rounds.removeFirst()
        depthChanged(rounds.count)
        return (round, rounds.count)
    }

    /// Sleeps for `duration` or until the queue closes (a back-off that shutdown can cut short).
    func sleep(_ duration: Duration) {
        lock.locked {
            let deadline = ConditionLock.deadline(after: duration)
            while !closing {
                if !lock.wait(until: deadline) { break }
            }
        }
    }

    /// Wakes the consumer for good: `next()` returns what is left, then nil.
    func close() {
        lock.locked {
            closing = true
            lock.broadcast()
        }
    }

    var isClosing: Bool { lock.locked { closing } }
    var depth: Int { lock.locked { rounds.count } }

    /// Empties the queue (shutdown ran out of time); returns how many rounds were discarded.
    func discardAll() -> Int {
        lock.locked {
            let count = rounds.count
            rounds.removeAll()
            depthChanged(0)
            return count
        }
    }
}
