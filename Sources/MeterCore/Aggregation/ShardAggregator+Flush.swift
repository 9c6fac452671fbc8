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
            var sumDelta = current.sum
            sumDelta.units -= current.flushedSum.units
            var integralDelta = current.integral
            integralDelta.units -= current.flushedIntegral.units
            let hasSample = type == .gauge && current.latestTime != .min
            deltas.append(RollupDelta(
                seriesKey: series[position].key,
                type: type,
                grain: current.grain,
                bucketStart: current.start,
                events: current.events - current.flushedEvents,
                sum: sumDelta,
                integral: integralDelta,
                minimum: hasSample ? Quantity(units: current.minimum) : nil,
                maximum: hasSample ? Quantity(units: current.maximum) : nil,
                latest: hasSample ? Quantity(units: current.latest) : nil,
                latestTime: hasSample ? current.latestTime : 0,
                newMembers: current.newMembers))
            series[position].buckets[bucket].flushedEvents = current.events
            series[position].buckets[bucket].flushedSum = current.sum
            series[position].buckets[bucket].flushedIntegral = current.integral
            series[position].buckets[bucket].newMembers.removeAll(keepingCapacity: true)
            series[position].buckets[bucket].dirty = false
        }
    }

    private func retireBuckets(series position: Int, now: Int64) {
        let keepAfterEnd = series[position].type == .set
            ? limits.maxLatenessSeconds &+ ShardAggregator.retirementMarginSeconds
            : ShardAggregator.bucketRetireGraceSeconds
        series[position].buckets.removeAll { bucket in
            !bucket.dirty && bucket.end &+ keepAfterEnd <= now
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
