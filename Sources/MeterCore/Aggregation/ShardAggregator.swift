#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The aggregate of one ring shard: every series of the (tenant, metric) pairs routed to it,
/// bucketed by event time at hour, day and month grain.
///
/// One owner at a time (the shard's consumer): no locks inside. Steady state allocates
/// nothing per event: series and buckets are found by hash and updated in place; only a new
/// series, a new bucket, or a set growing its member table allocates.
public final class ShardAggregator {
    public let limits: AggregatorLimits
    let hasher: ByteHasher
    let limiter: CardinalityLimiter
    // The aggregator has one owner at a time (see above), so the runtime exclusivity checks on
    // these class properties only cost time: they were a quarter of the per-event instructions.
    @exclusivity(unchecked) var dedup: DedupWindow
    @exclusivity(unchecked) var series: [Series] = []
    @exclusivity(unchecked) var index = SeriesIndex()
    /// Live per-hour totals of the tenants whose quotas are evaluated (`attach(tap:)`).
    @exclusivity(unchecked) public private(set) var usageTap: ShardUsageTap?

    /// - Parameters:
    ///   - hasher: must be the hasher that encoded the records (series hashes are compared).
    ///   - limiter: shared by all shards of one daemon.
    ///   - dedupWindowSeconds, dedupMaxEntries: see `DedupWindow`.
    public init(limits: AggregatorLimits, hasher: ByteHasher, limiter: CardinalityLimiter,
                dedupWindowSeconds: Int64, dedupMaxEntries: Int) {
        precondition(limits.validationErrors().isEmpty, "invalid aggregator limits: \(limits.validationErrors())")
        self.limits = limits
        self.hasher = hasher
        self.limiter = limiter
        self.dedup = DedupWindow(windowSeconds: dedupWindowSeconds, maxEntries: dedupMaxEntries)
    }

    /// Starts feeding `tap` with every accepted counter and gauge event (of the tenants the
    /// tap counts). On the owner's thread; series that exist already are included.
    public func attach(tap: ShardUsageTap) {
        usageTap = tap
        for position in series.indices {
            series[position].tapSlot = series[position].withTenantAndMetric { tenant, metric in
                tap.slot(tenant: tenant, metric: metric, type: series[position].type)
            }
        }
    }

    /// Live series in this shard.
    public var seriesCount: Int { series.count }

    /// Aggregates every record of `batch` (bodies encoded by `EventRecord.encode`).
    public func aggregate(_ batch: RecordBatch, counts: inout AggregateCounts) {
        batch.forEachRecord { body in
            if EventRecord.kind(of: body) == EventRecord.markerKind { return }  // a sync barrier's marker
            counts.record(aggregate(record: body))
        }
    }

    /// Aggregates one encoded event.
    public func aggregate(record body: UnsafeRawBufferPointer) -> AggregateOutcome {
        guard let event = EventRecordView(body) else {
            preconditionFailure("malformed event record reached an aggregator")
        }
        var fingerprint: Fingerprint128? = nil
        if let id = event.id {
            let key = DedupWindow.fingerprint(tenant: event.tenant, metric: event.metric, id: id, hasher: hasher)
            if dedup.contains(key, now: event.receivedAt) { return .duplicate }
            fingerprint = key
        }

        let position: Int
        switch findOrCreateSeries(event) {
        case .success(let found): position = found
        case .failure(let reason): return .refused(reason)
        }
        series[position].lastArrival = Swift.max(series[position].lastArrival, event.receivedAt)

        let outcome: AggregateOutcome
        switch event.type {
        case .counter: outcome = applyCounter(event, at: position)
        case .gauge: outcome = applyGauge(event, at: position)
        case .set: outcome = applySet(event, at: position)
        }
        if outcome == .accepted, let fingerprint {
            // Checked absent above, so this records it rather than reporting a duplicate.
            _ = dedup.insert(fingerprint, now: event.receivedAt)
        }
        return outcome
    }

    private func findOrCreateSeries(_ event: EventRecordView) -> Result<Int, RefusalReason> {
        let key = event.seriesKey
        let hash = event.seriesHash
        let found = index.find(hash: hash) { position in
            series[position].key.withUnsafeBytes { stored in
                stored.count == key.count && memoryEqual(stored, key)
            }
        }
        if let found { return .success(found) }
        if let reason = limiter.admit(tenant: event.tenant, dimensions: event.dimensions) {
            return .failure(reason)
        }
        var created = Series(key: [UInt8](key), hash: hash, type: event.type, arrival: event.receivedAt)
        if let usageTap { created.tapSlot = usageTap.slot(tenant: event.tenant, metric: event.metric, type: event.type) }
        series.append(created)
        index.insert(hash: hash, position: series.count - 1)
        return .success(series.count - 1)
    }

    /// The position in `series[position].buckets` of the `grain` bucket holding `time`, created if needed.
    @inline(__always)
    func bucketPosition(series position: Int, grain: Grain, time: Int64) -> Int {
        // Index the array in place: holding a copy of it across the append below would copy it.
        for candidate in series[position].buckets.indices {
            if series[position].buckets[candidate].grain == grain && series[position].buckets[candidate].contains(time) {
                return candidate
            }
        }
        series[position].buckets.append(Bucket(grain: grain, start: grain.bucketStart(containing: time)))
        switch series[position].type {
        case .counter: break
        case .gauge: series[position].gauges.append(GaugeStats())
        case .set: series[position].sets.append(SetMembers())
        }
        return series[position].buckets.count - 1
    }

    /// The hour, day and month bucket positions of `time` in one series.
    @inline(__always)
    private func bucketPositions(series position: Int, time: Int64) -> (hour: Int, day: Int, month: Int) {
        (bucketPosition(series: position, grain: .hour, time: time),
         bucketPosition(series: position, grain: .day, time: time),
         bucketPosition(series: position, grain: .month, time: time))
    }

    private func applyCounter(_ event: EventRecordView, at position: Int) -> AggregateOutcome {
        let value = QuantitySum(event.value)
        let positions = bucketPositions(series: position, time: event.timestamp)
        // All three sums are checked before any changes: the month sum is not always the
        // largest (late buckets).
        var hour = series[position].buckets[positions.hour].total
        var day = series[position].buckets[positions.day].total
        var month = series[position].buckets[positions.month].total
        guard hour.add(value), day.add(value), month.add(value) else { return .refused(.quantityOverflow) }
        series[position].buckets[positions.hour].addCounted(sum: hour)
        series[position].buckets[positions.day].addCounted(sum: day)
        series[position].buckets[positions.month].addCounted(sum: month)
        usageTap?.addCounter(slot: series[position].tapSlot, hourStart: series[position].buckets[positions.hour].start,
                             value: value)
        return .accepted
    }

    private func applyGauge(_ event: EventRecordView, at position: Int) -> AggregateOutcome {
        let value = event.value.units
        let time = event.timestamp
        // Carry the previous in-order value forward over [carryTime, time), bounded by the carry limit.
        let carryTime = series[position].carryTime
        if series[position].carryOpen && time > carryTime {
            let carryEnd = Swift.min(time, carryTime &+ limits.gaugeMaxCarrySeconds)
            addIntegral(series: position, value: series[position].carryValue, from: carryTime, to: carryEnd)
        }
        if time >= carryTime {
            series[position].carryTime = time
            series[position].carryValue = value
            series[position].carryOpen = true
        }
        for grain in Grain.finestFirst {
            let bucket = bucketPosition(series: position, grain: grain, time: time)
            series[position].buckets[bucket].events += 1
            series[position].gauges[bucket].record(value, at: time)
            series[position].buckets[bucket].dirty = true
        }
        usageTap?.addGauge(slot: series[position].tapSlot, hourStart: Grain.hour.bucketStart(containing: time), value: value)
        return .accepted
    }

    /// Adds `value x seconds` over [from, to) to every bucket of every grain it overlaps.
    func addIntegral(series position: Int, value: Int64, from: Int64, to: Int64) {
        for grain in Grain.finestFirst {
            var time = from
            while time < to {
                let bucket = bucketPosition(series: position, grain: grain, time: time)
                let segmentEnd = Swift.min(series[position].buckets[bucket].end, to)
                // |value| < 2^63 and a segment is at most one month: the product fits in 128 bits.
                series[position].buckets[bucket].total.add(QuantitySum(units: Int128(value) * Int128(segmentEnd - time)))
                series[position].buckets[bucket].dirty = true
                time = segmentEnd
            }
        }
    }

    private func applySet(_ event: EventRecordView, at position: Int) -> AggregateOutcome {
        var builder = Fingerprint128.Builder(hasher: hasher)
        builder.add(event.member)
        let member = builder.value
        let buckets = bucketPositions(series: position, time: event.timestamp)
        if !hasRoom(for: member, series: position, bucket: buckets.hour)
            || !hasRoom(for: member, series: position, bucket: buckets.day)
            || !hasRoom(for: member, series: position, bucket: buckets.month) {
            return .refused(.setMemberLimit)
        }
        addMember(member, series: position, bucket: buckets.hour)
        addMember(member, series: position, bucket: buckets.day)
        addMember(member, series: position, bucket: buckets.month)
        return .accepted
    }

    @inline(__always)
    private func hasRoom(for member: Fingerprint128, series position: Int, bucket: Int) -> Bool {
        let members = series[position].sets[bucket].members
        return members.count < limits.maxSetMembersPerBucket || members.contains(member)
    }

    @inline(__always)
    private func addMember(_ member: Fingerprint128, series position: Int, bucket: Int) {
        series[position].buckets[bucket].events += 1
        series[position].buckets[bucket].dirty = true
        if series[position].sets[bucket].members.insert(member) {
            series[position].sets[bucket].added.append(member)
        }
    }
}

@inline(__always)
func memoryEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
}

// MARK: - Persisted deduplication keys (docs/dedup.md "Restarts")

extension ShardAggregator {
    /// Starts recording the idempotency keys counted from now on (`takeNewDedupIDs`).
    public func startDedupJournal() { dedup.startJournal() }

    /// The idempotency keys counted since the previous call: what the deltas collected at the
    /// same time cover. Call together with `collectDeltas`, on the owner's thread.
    public func takeNewDedupIDs() -> [DedupEntry] { dedup.takeNewIDs() }

    /// Re-inserts a persisted key (start-up, before any event); not journaled.
    @discardableResult
    public func restoreDedupID(_ fingerprint: Fingerprint128, arrival: Int64) -> Bool {
        dedup.restore(fingerprint, arrival: arrival)
    }

    /// The shard's deduplication window (read-only: counts, early evictions).
    public var dedupWindow: DedupWindow { dedup }
}
