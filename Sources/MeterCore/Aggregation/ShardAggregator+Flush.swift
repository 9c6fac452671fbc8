extension ShardAggregator {
    /// Counter and gauge buckets are dropped this long after they end once flushed; a later
    /// event for the bucket recreates it and its delta adds to what was flushed, so this only
    /// trades memory against churn. Set buckets are kept for the whole lateness bound instead,
    /// because a recreated member table would count a member a second time.
    static let bucketRetireGraceSeconds: Int64 = 300

    /// Decisions that rely on "no event stamped before T can still arrive" (closing a gauge's
    /// carried tail, dropping a set bucket, forgetting a series) wait this long beyond the
    /// lateness bound, so events received just before a flush but still in the ring are covered.
    public static let retirementMarginSeconds: Int64 = 300

    /// Appends a delta for every bucket that changed since the previous call, marks them
    /// flushed, then forgets buckets and series that can no longer change or have gone idle.
    ///
    /// The deltas are the caller's from here on: it must keep them until they are durably
    /// applied (retrying as needed), because this aggregator will not emit them again.
    public func collectDeltas(now: Int64, into deltas: inout [RollupDelta]) {
        var position = 0
        while position < series.count {
            closeGaugeCarry(series: position, now: now)
            emitDeltas(series: position, into: &deltas)
            retireBuckets(series: position, now: now)
            if isIdle(series[position], now: now) {
                forgetSeries(at: position)
                // The last series moved into `position`; examine it next.
            } else {
                position += 1
            }
        }
        compactUsageTapIfSparse()
    }

    /// Forgotten series leave their tap slots behind; rebuilds the tap's tables once unused
    /// ones dominate, so a long-running daemon with tenant churn keeps them bounded.
    private func compactUsageTapIfSparse() {
        guard let usageTap, usageTap.needsCompaction(liveSeries: series.count) else { return }
        let remap = usageTap.compact(keeping: series.map(\.tapSlot))
        for position in series.indices where series[position].tapSlot >= 0 {
            series[position].tapSlot = remap[Int(series[position].tapSlot)]
        }
    }

    /// Adds a gauge's carried tail once no in-order sample can arrive early enough to cut it short.
    private func closeGaugeCarry(series position: Int, now: Int64) {
        guard series[position].carryOpen else { return }
        let carryEnd = series[position].carryTime &+ limits.gaugeMaxCarrySeconds
        guard carryEnd &+ limits.maxLatenessSeconds &+ ShardAggregator.retirementMarginSeconds <= now else { return }
        addIntegral(series: position, value: series[position].carryValue, from: series[position].carryTime, to: carryEnd)
        series[position].carryOpen = false
    }

    private func emitDeltas(series position: Int, into deltas: inout [RollupDelta]) {
        let type = series[position].type
        for bucket in series[position].buckets.indices where series[position].buckets[bucket].dirty {
            let current = series[position].buckets[bucket]
            deltas.append(unflushedDelta(series: position, bucket: bucket))
            series[position].buckets[bucket].flushedEvents = current.events
            series[position].buckets[bucket].flushedTotal = current.total
            series[position].buckets[bucket].dirty = false
            if type == .set { series[position].sets[bucket].added.removeAll(keepingCapacity: true) }
        }
    }

    /// What bucket `bucket` of series `position` gained since it was last flushed (read-only:
    /// `emitDeltas` then marks it flushed; `peekDeltas` leaves it as it is).
    func unflushedDelta(series position: Int, bucket: Int) -> RollupDelta {
        let type = series[position].type
        let current = series[position].buckets[bucket]
        var totalDelta = current.total
        totalDelta.units -= current.flushedTotal.units
        var gauge: GaugeStats? = nil
        if type == .gauge && series[position].gauges[bucket].latestTime != .min {
            gauge = series[position].gauges[bucket]
        }
        return RollupDelta(
            seriesKey: series[position].key,
            type: type,
            grain: current.grain,
            bucketStart: current.start,
            events: current.events - current.flushedEvents,
            sum: type == .counter ? totalDelta : .zero,
            integral: type == .gauge ? totalDelta : .zero,
            minimum: gauge.map { Quantity(units: $0.minimum) },
            maximum: gauge.map { Quantity(units: $0.maximum) },
            latest: gauge.map { Quantity(units: $0.latest) },
            latestTime: gauge?.latestTime ?? 0,
            newMembers: type == .set ? series[position].sets[bucket].added : [])
    }

    private func retireBuckets(series position: Int, now: Int64) {
        let keepAfterEnd = series[position].type == .set
            ? limits.maxLatenessSeconds &+ ShardAggregator.retirementMarginSeconds
            : ShardAggregator.bucketRetireGraceSeconds
        // Backwards, so removing one does not move those still to be examined; the per-type
        // arrays are index-aligned with `buckets` and lose the same entries.
        for bucket in series[position].buckets.indices.reversed() {
            let candidate = series[position].buckets[bucket]
            guard !candidate.dirty && candidate.end &+ keepAfterEnd <= now else { continue }
            series[position].buckets.remove(at: bucket)
            if !series[position].gauges.isEmpty { series[position].gauges.remove(at: bucket) }
            if !series[position].sets.isEmpty { series[position].sets.remove(at: bucket) }
        }
    }

    private func isIdle(_ candidate: Series, now: Int64) -> Bool {
        // An open gauge carry still owes its tail to the integral.
        candidate.buckets.isEmpty && !candidate.carryOpen && candidate.lastArrival &+ limits.seriesIdleSeconds <= now
    }

    private func forgetSeries(at position: Int) {
        let forgotten = series[position]
        forgotten.withTenantAndDimensions { tenant, dimensions in
            limiter.release(tenant: tenant, dimensions: dimensions)
        }
        index.remove(hash: forgotten.hash, position: position)
        let last = series.count - 1
        if position != last {
            index.move(hash: series[last].hash, from: last, to: position)
            series.swapAt(position, last)
        }
        series.removeLast()
    }
}
