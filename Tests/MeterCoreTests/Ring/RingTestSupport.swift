import MeterCore

/// Helpers shared by the ring tests: building batches of known bodies and reading them back.
enum RingTestSupport {
    /// A body of `count` bytes whose content depends on `tag`, so a misplaced or torn byte shows.
    static func body(count: Int, tag: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: tag &* 131 &+ $0 &* 7 &+ 1) }
    }

    /// A batch holding `bodies` as records, with `capacity` bytes (at least enough for them).
    static func batch(_ bodies: [[UInt8]], capacity: Int? = nil) -> RecordBatch {
        let needed = bodies.reduce(0) { $0 + $1.count + RecordBatch.prefixBytes }
        let batch = RecordBatch(capacity: max(capacity ?? needed, needed, RecordBatch.prefixBytes + 1))
        for body in bodies { append(body, to: batch) }
        return batch
    }

    /// Appends one record; traps if the batch lacks room, since tests size their batches.
    static func append(_ body: [UInt8], to batch: RecordBatch) {
        let appended = batch.append(bodyBytes: body.count) { destination in
            destination.copyBytes(from: body)
        }
        precondition(appended, "test batch too small")
    }

    /// The record bodies in `batch`, in order.
    static func bodies(of batch: RecordBatch) -> [[UInt8]] {
        var result: [[UInt8]] = []
        batch.forEachRecord { result.append(Array($0)) }
        return result
    }

    /// Moves an empty shard's head to `target` by pushing and draining filler records,
    /// using only the public API. Each filler is at least a bare prefix and at most the capacity.
    static func advance(_ ring: ShardedRing, shard: Int, to target: Int) {
        let capacity = ring.bytesPerShard
        let scratch = RecordBatch(capacity: capacity)
        var steps = 0
        while true {
            let head = ring.positions(shard: shard).head
            let delta = (target - head + capacity) % capacity
            if delta == 0 { return }
            let framed = delta >= RecordBatch.prefixBytes ? delta : RecordBatch.prefixBytes
            let filler = batch([body(count: framed - RecordBatch.prefixBytes, tag: -1)])
            precondition(ring.push(filler, toShard: shard).isComplete, "filler did not fit")
            scratch.removeAll()
            precondition(ring.drain(shard: shard, into: scratch) == 1, "filler did not drain")
            steps += 1
            precondition(steps < 64, "advance did not converge")
        }
    }
}
