/// The consuming half of one ring shard: drains it in bulk and feeds its aggregator.
///
/// One owner (the shard's aggregation thread); not thread-safe.
public final class ShardConsumer {
    public let shard: Int
    public let ring: ShardedRing
    public let aggregator: ShardAggregator
    // One owner (see above): skip the runtime exclusivity checks.
    @exclusivity(unchecked) public internal(set) var counts = AggregateCounts()
    let batch: RecordBatch
    /// Per source (stream connection), the events not counted since its last barrier marker.
    /// Only non-accepted outcomes are tallied (rare); a marker takes its source's tally.
    @exclusivity(unchecked) public var sourceTallies: [UInt32: BarrierTally] = [:]
    /// Called for each barrier marker drained, after the records before it were logged and
    /// aggregated: (source, barrier id, the source's tally since its previous marker).
    public var onMarker: ((UInt32, UInt64, BarrierTally) -> Void)?

    /// - Parameter batchBytes: bytes drained per step; must hold the largest record.
    public init(shard: Int, ring: ShardedRing, aggregator: ShardAggregator, batchBytes: Int = 256 * 1024) {
        self.shard = shard
        self.ring = ring
        self.aggregator = aggregator
        batch = RecordBatch(capacity: batchBytes)
    }

    /// Drains one batch worth of records and aggregates them; returns how many.
    @discardableResult
    public func drainOnce() -> Int {
        let drained = ring.drain(shard: shard, into: batch)
        if drained > 0 {
            aggregateBatch()
            batch.removeAll()
        }
        return drained
    }

    /// Aggregates the drained batch: events into the aggregator (tallying the non-accepted
    /// ones of a source), markers to `onMarker`.
    func aggregateBatch() {
        batch.forEachRecord { body in
            if EventRecord.kind(of: body) == EventRecord.markerKind {
                let source = EventRecord.source(of: body)
                let tally = sourceTallies.removeValue(forKey: source) ?? BarrierTally()
                onMarker?(source, EventRecord.barrier(ofMarker: body), tally)
                return
            }
            let outcome = aggregator.aggregate(record: body)
            counts.record(outcome)
            tally(outcome, source: EventRecord.source(of: body))
        }
    }

    /// Adds a record's outcome to its source's tally: only non-accepted ones for a stream
    /// connection; every one, with its ordinal, for an HTTP request (whose response lists
    /// each event's outcome). Records without a source are not tallied.
    @inline(__always)
    func tally(_ outcome: AggregateOutcome, source: UInt32) {
        if BarrierBoard.isHTTPSource(source) {
            sourceTallies[source, default: BarrierTally()].addRecord(outcome, shard: shard)
        } else if outcome != .accepted, source != 0 {
            sourceTallies[source, default: BarrierTally()].add(outcome)
        }
    }

    /// True while a drained batch waits because `drainOnce(log:)`'s hook refused it.
    public var isHoldingBatch: Bool { !batch.isEmpty }

    /// Like `drainOnce()`, but hands each drained batch to `log` first (its framed record
    /// bytes and record count) and aggregates it only when `log` returns true. On refusal the
    /// batch is kept, un-aggregated, and the next call offers the same batch again before
    /// draining anything more (the ring fills meanwhile). Returns how many were aggregated.
    ///
    /// The hook is how the daemon writes a batch to its write-ahead log before aggregating it
    /// (MeterCore does no I/O itself).
    @discardableResult
    public func drainOnce(log: (UnsafeRawBufferPointer, Int) -> Bool) -> Int {
        if batch.isEmpty {
            guard ring.drain(shard: shard, into: batch) > 0 else { return 0 }
        }
        guard log(batch.bytes, batch.recordCount) else { return 0 }
        let drained = batch.recordCount
        aggregateBatch()
        batch.removeAll()
        return drained
    }

    /// `drainOnce(log:)` until the shard is empty or the hook refuses.
    @discardableResult
    public func drainAll(log: (UnsafeRawBufferPointer, Int) -> Bool) -> Int {
        var total = 0
        while true {
            let drained = drainOnce(log: log)
            if drained == 0 { return total }
            total += drained
        }
    }

    /// Drains until the shard is empty; returns how many records were aggregated.
    @discardableResult
    public func drainAll() -> Int {
        var total = 0
        while true {
            let drained = drainOnce()
            if drained == 0 { return total }
            total += drained
        }
    }
}
