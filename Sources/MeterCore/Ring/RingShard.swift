import Synchronization

/// One shard of a `ShardedRing`: a bounded byte ring behind its own lock, its lifetime
/// counters, and the signal a waiting consumer sleeps on.
///
/// Locking: every change to the ring happens in one `Mutex` acquisition per batch, and the
/// lock is held only for the copy itself (one or two `memcpy`s) plus a walk over the length
/// prefixes when a batch does not fit whole. The walk that checks a retry's offset is a
/// record boundary runs before the lock is taken.
///
/// Observability: occupancy and counters are atomics written only while the lock is held
/// and read without it, so a `/metrics` scrape never waits for, or delays, a producer.
/// Because every writer holds the lock, an update is a relaxed load plus a relaxed store
/// rather than a read-modify-write: no locked instruction on the hot path, and readers
/// still see whole values.
final class RingShard: Sendable {
    private struct State: ~Copyable {
        var ring: RingStorage
        /// Consumers registered in `waitForRecords`; producers broadcast only when non-zero.
        var waitingConsumers = 0
        /// Set by `wakeConsumer`: the next or current `waitForRecords` returns at once.
        var woken = false
    }

    let capacity: Int
    private let state: Mutex<State>
    private let signal = RingWakeSignal()

    /// Bytes in the low 32 bits, records in the high 32 bits: one store publishes both, so a
    /// reader never pairs the bytes of one moment with the records of another.
    private let packedOccupancy = Atomic<UInt64>(0)
    private let recordsPushed = Atomic<Int>(0)
    private let recordsDrained = Atomic<Int>(0)
    private let pushesRefused = Atomic<Int>(0)
    private let oversizedRefusals = Atomic<Int>(0)

    init(capacity: Int) {
        // Occupancy packs bytes (and records, never more than bytes / 4) into 32 bits each.
        precondition(capacity <= Int(UInt32.max), "a ring shard holds at most 4 GiB")
        self.capacity = capacity
        state = Mutex(State(ring: RingStorage(capacity: capacity)))
    }

    /// See `ShardedRing.push(_:toShard:startingAt:)`.
    func push(_ batch: RecordBatch, startingAt byteOffset: Int) -> RingPushOutcome {
        let framed = batch.bytes
        precondition(byteOffset >= 0 && byteOffset <= framed.count, "byte offset outside the batch")
        // Outside the lock: checks that the offset is a record boundary and counts what is left.
        let recordsBefore = byteOffset == 0 ? 0 : RingFraming.recordCount(in: framed, before: byteOffset)
        let pendingRecords = batch.recordCount - recordsBefore
        guard pendingRecords > 0 else {
            return RingPushOutcome(recordsPushed: 0, bytesPushed: 0, nextByteOffset: byteOffset,
                                   recordsRemaining: 0, blockingRecordBytes: 0, oversizedRecord: false)
        }
        let pending = UnsafeRawBufferPointer(rebasing: framed[byteOffset...])
        let capacity = self.capacity

        let (outcome, wake) = state.withLock { state -> (RingPushOutcome, Bool) in
            let room = state.ring.freeBytes
            let span: (bytes: Int, records: Int, blockingLength: Int)
            if pending.count <= room {
                // The whole rest of the batch fits: no need to look at its prefixes.
                span = (pending.count, pendingRecords, 0)
            } else {
                span = RingFraming.span(in: pending, fitting: room)
            }
            if span.records > 0 {
                state.ring.append(UnsafeRawBufferPointer(rebasing: pending[..<span.bytes]), records: span.records)
                publishOccupancy(of: state.ring)
                bump(recordsPushed, by: span.records)
            }
            let oversized = span.blockingLength > capacity
            if oversized {
                bump(oversizedRefusals, by: 1)
            } else if span.blockingLength > 0 {
                bump(pushesRefused, by: 1)
            }
            let outcome = RingPushOutcome(
                recordsPushed: span.records, bytesPushed: span.bytes, nextByteOffset: byteOffset + span.bytes,
                recordsRemaining: pendingRecords - span.records, blockingRecordBytes: span.blockingLength,
                oversizedRecord: oversized)
            return (outcome, span.records > 0 && state.waitingConsumers > 0)
        }
        // Outside the shard's lock, so a producer never holds both locks.
        if wake { signal.broadcast() }
        return outcome
    }

    /// See `ShardedRing.drain(shard:into:)`.
    func drain(into batch: RecordBatch) -> Int {
        let room = batch.freeBytes
        let batchIsEmpty = batch.isEmpty
        return state.withLock { state -> Int in
            guard state.ring.usedRecords > 0 else { return 0 }
            let span = state.ring.headSpan(fitting: room)
            guard span.records > 0 else {
                // An empty batch that cannot take the oldest record would stall this shard forever.
                precondition(!batchIsEmpty, "drain batch smaller than a record in the ring; size it to at least bytesPerShard")
                return 0
            }
            let appended = batch.appendFramed(byteCount: span.bytes, recordCount: span.records) { destination in
                state.ring.removeFirst(records: span.records, into: destination)
            }
            precondition(appended, "drain span larger than the batch's free space")
            publishOccupancy(of: state.ring)
            bump(recordsDrained, by: span.records)
            return span.records
        }
    }

    /// Sleeps until the shard holds at least one record or `timeout` elapses; true when it
    /// holds records. Meant for the shard's consumer, which loops: drain until empty, then wait.
    ///
    /// No lost wake-ups: the consumer registers as a waiter under the shard's lock while
    /// holding the signal's mutex, and keeps that mutex until the condition wait releases it.
    /// A producer that pushes after the registration sees it under the shard's lock, and its
    /// broadcast must take the same mutex, so it lands after the consumer is asleep. A push
    /// before the registration is seen by the consumer's own check.
    func waitForRecords(timeout: Duration) -> Bool {
        // Fast path: records already there, no lock at all.
        if occupancy.records > 0 { return true }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        enum Check { case ready, woken, expired, waiting }
        return signal.withLock {
            var registered = false
            while true {
                let expired = clock.now >= deadline
                let check = state.withLock { state -> Check in
                    if registered { state.waitingConsumers -= 1 }
                    if state.woken {
                        state.woken = false
                        return .woken
                    }
                    if state.ring.usedRecords > 0 { return .ready }
                    if expired { return .expired }
                    state.waitingConsumers += 1
                    return .waiting
                }
                switch check {
                case .ready: return true
                case .woken, .expired: return false
                case .waiting:
                    registered = true
                    signal.wait(atMost: deadline - clock.now)
                }
            }
        }
    }

    /// See `ShardedRing.wakeConsumer(shard:)`.
    func wakeConsumer() {
        state.withLock { $0.woken = true }
        signal.broadcast()
    }

    /// Bytes and records in the shard, read without the lock; may lag a concurrent push or drain.
    var occupancy: (bytes: Int, records: Int) {
        let packed = packedOccupancy.load(ordering: .relaxed)
        return (Int(packed & 0xFFFF_FFFF), Int(packed >> 32))
    }

    var counters: RingShardCounters {
        RingShardCounters(recordsPushed: recordsPushed.load(ordering: .relaxed),
                          recordsDrained: recordsDrained.load(ordering: .relaxed),
                          pushesRefused: pushesRefused.load(ordering: .relaxed),
                          oversizedRefusals: oversizedRefusals.load(ordering: .relaxed))
    }

    /// The ring's positions, read under the lock: for clear-box tests.
    var positions: (head: Int, usedBytes: Int, usedRecords: Int) {
        state.withLock { ($0.ring.head, $0.ring.usedBytes, $0.ring.usedRecords) }
    }

    // Both helpers below must only be called with the lock held: they rely on being the only writer.

    private func publishOccupancy(of ring: borrowing RingStorage) {
        packedOccupancy.store(UInt64(ring.usedRecords) << 32 | UInt64(ring.usedBytes), ordering: .relaxed)
    }

    private func bump(_ counter: borrowing Atomic<Int>, by amount: Int) {
        counter.store(counter.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }
}
