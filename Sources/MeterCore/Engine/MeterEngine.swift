/// The assembled engine: one sharded ring, one consumer and aggregator per shard, and the
/// limits they share. Producers come from `makeWorker`, one per receiving thread.
///
/// Thread use: any number of workers on their own threads; each consumer on one thread at a
/// time (its shard's aggregation thread, or the flusher while aggregation is paused).
public final class MeterEngine: Sendable {
    public let configuration: EngineConfiguration
    public let ring: ShardedRing
    public let limiter: CardinalityLimiter
    let hasher: ByteHasher
    /// Consumers are not thread-safe; the threading rule above (one thread per consumer at a
    /// time) is the caller's contract, which the type system cannot express here.
    nonisolated(unsafe) let consumerList: [ShardConsumer]
    /// Sync barriers of stream connections in flight (docs/line-protocol.md, "Sync barrier").
    public let barriers: BarrierBoard

    /// - Parameter hasher: defaults to a randomly seeded hasher (series keys come from senders).
    public init(configuration: EngineConfiguration, hasher: ByteHasher = .random()) {
        precondition(configuration.validationErrors().isEmpty,
                     "invalid engine configuration: \(configuration.validationErrors())")
        self.configuration = configuration
        self.hasher = hasher
        ring = ShardedRing(shardCount: configuration.shardCount, bytesPerShard: configuration.bytesPerShard)
        limiter = CardinalityLimiter(limits: configuration.aggregatorLimits, hasher: hasher)
        barriers = BarrierBoard(shardCount: configuration.shardCount)
        consumerList = (0..<configuration.shardCount).map { [ring, limiter] shard in
            let aggregator = ShardAggregator(limits: configuration.aggregatorLimits, hasher: hasher, limiter: limiter,
                                             dedupWindowSeconds: configuration.dedupWindowSeconds,
                                             dedupMaxEntries: configuration.dedupMaxEntries)
            return ShardConsumer(shard: shard, ring: ring, aggregator: aggregator,
                                 batchBytes: EngineConfiguration.drainBatchBytes(batchBytes: configuration.batchBytes))
        }
    }

    /// A producer for one receiving thread.
    public func makeWorker(policy: RingFullPolicy) -> IngestWorker {
        IngestWorker(parser: LineParser(limits: configuration.protocolLimits), ring: ring, hasher: hasher,
                     policy: policy, batchBytes: configuration.batchBytes)
    }

    /// The consumer of `shard`. Only one thread may use a consumer at a time.
    public func consumer(shard: Int) -> ShardConsumer { consumerList[shard] }

    /// The shard that a record (an `EventRecord` body) belongs to with this engine's shard
    /// count: the same choice `IngestWorker` makes, from the record's tenant and metric.
    public func shardIndex(ofRecord body: UnsafeRawBufferPointer) -> Int? {
        guard let event = EventRecordView(body) else { return nil }
        var state = hasher.combine(hasher.seed, event.tenant)
        state = hasher.combine(state, event.metric)
        return ring.shardIndex(forHash: hasher.finish(state))
    }

    /// Aggregates framed records (`RecordBatch` framing) straight into the aggregators, each
    /// in the shard this engine's shard count gives it, bypassing the ring: start-up replay of
    /// the write-ahead log. Only before the shard threads start (it uses every consumer).
    /// The outcomes are added to `counts`, not to the consumers' own counts. Returns false,
    /// stopping there, on malformed framing or a malformed record.
    @discardableResult
    public func replay(framed bytes: UnsafeRawBufferPointer, counts: inout AggregateCounts) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard offset + RecordBatch.prefixBytes <= bytes.count else { return false }
            let total = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            guard total >= RecordBatch.prefixBytes, offset + total <= bytes.count else { return false }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + RecordBatch.prefixBytes)..<(offset + total)])
            if EventRecord.kind(of: body) == EventRecord.markerKind, body.count == EventRecord.headerBytes {
                // A sync barrier's marker: no event (its answer was given before the restart).
                offset += total
                continue
            }
            guard let shard = shardIndex(ofRecord: body) else { return false }
            counts.record(consumerList[shard].aggregator.aggregate(record: body))
            offset += total
        }
        return true
    }

    /// Makes every shard record the idempotency keys it counts from now on, for persistence.
    /// Only before the shard threads start.
    public func startDedupJournals() {
        for consumer in consumerList { consumer.aggregator.startDedupJournal() }
    }

    /// Re-inserts a persisted idempotency key into `shard`'s window, or into every shard's when
    /// `shard` is nil (the key was persisted under another shard count). Only before the shard
    /// threads start; call in increasing `arrival` order.
    public func restoreDedupID(_ fingerprint: Fingerprint128, arrival: Int64, shard: Int?) {
        if let shard, consumerList.indices.contains(shard) {
            consumerList[shard].aggregator.restoreDedupID(fingerprint, arrival: arrival)
        } else {
            for consumer in consumerList { consumer.aggregator.restoreDedupID(fingerprint, arrival: arrival) }
        }
    }

    /// Drains every shard, then collects the flush deltas of every aggregator. For callers
    /// that own all consumers (tests, tools, a single-threaded flusher).
    public func drainAndCollectDeltas(now: Int64, into deltas: inout [RollupDelta]) {
        for consumer in consumerList {
            consumer.drainAll()
            consumer.aggregator.collectDeltas(now: now, into: &deltas)
        }
    }
}
