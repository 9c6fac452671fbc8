/// One series' aggregate for one bucket of one grain, plus what of it has been flushed.
///
/// Additive fields (events, sum, integral, members) are kept in full since the bucket was
/// created in memory; `flushed*` record how much of them the last flush already emitted, so a
/// delta is `current - flushed`. Gauge min, max and latest are emitted as absolute values for
/// the bucket: merging them again is harmless.
struct Bucket {
    let grain: Grain
    let start: Int64
    let end: Int64

    var events: Int64 = 0
    /// Counters: the sum of values.
    var sum = QuantitySum.zero
    /// Gauges: value x seconds (units of 10^-6 x second), the time-weighted integral.
    var integral = QuantitySum.zero
    /// Gauges: extremes and the value with the latest event time.
    var minimum = Int64.max
    var maximum = Int64.min
    var latest: Int64 = 0
    var latestTime = Int64.min
    /// Sets: every distinct member seen in this bucket, and those added since the last flush.
    var members: FingerprintSet?
    var newMembers: [Fingerprint128] = []

    var flushedEvents: Int64 = 0
    var flushedSum = QuantitySum.zero
    var flushedIntegral = QuantitySum.zero
    var dirty = false

    init(grain: Grain, start: Int64, type: MetricType) {
        self.grain = grain
        self.start = start
        self.end = grain.bucketEnd(startingAt: start)
        if type == .set { members = FingerprintSet() }
    }

    @inline(__always)
    func contains(_ time: Int64) -> Bool { time >= start && time < end }

    /// Counts one more counter event whose addition gave `sum`.
    @inline(__always)
    mutating func addCounted(sum newSum: QuantitySum) {
        sum = newSum
        events += 1
        dirty = true
    }
}

/// One series: its identity, its live buckets of every grain, and the gauge carry state.
struct Series {
    /// The canonical series key (see `EventRecord`).
    let key: [UInt8]
    let hash: UInt64
    let type: MetricType
    /// Live buckets of all grains; a few per grain at most (the current one, and late ones).
    var buckets: [Bucket] = []
    /// Arrival time of the latest event, for idle eviction.
    var lastArrival: Int64
    /// Gauges: the latest in-order sample, carried forward into the integral until the next
    /// sample or for `gaugeMaxCarrySeconds`, whichever comes first. `carryOpen` is false once
    /// that tail has been added (or before any sample).
    var carryTime = Int64.min
    var carryValue: Int64 = 0
    var carryOpen = false

    init(key: [UInt8], hash: UInt64, type: MetricType, arrival: Int64) {
        self.key = key
        self.hash = hash
        self.type = type
        self.lastArrival = arrival
        buckets.reserveCapacity(4)
    }

    /// The tenant bytes and encoded dimensions region of `key`, for the cardinality limiter.
    func withTenantAndDimensions<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        key.withUnsafeBytes { raw in
            let tenantLength = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
            let metricLength = Int(raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let tenantStart = SeriesKey.headerBytes
            let dimensionsStart = tenantStart + tenantLength + metricLength
            return body(UnsafeRawBufferPointer(rebasing: raw[tenantStart ..< tenantStart + tenantLength]),
                        UnsafeRawBufferPointer(rebasing: raw[dimensionsStart ..< raw.count]))
        }
    }
}
