/// One series' aggregate for one bucket of one grain, plus what of it has been flushed.
///
/// Additive fields (events, total) are kept in full since the bucket was created in memory;
/// `flushed*` record how much of them the last flush already emitted, so a delta is
/// `current - flushed`. What only gauges or only sets need lives in `GaugeStats` and
/// `SetMembers`, in arrays beside the buckets, so a counter bucket stays at 80 bytes.
struct Bucket {
    /// Counters: the sum of values. Gauges: value x seconds (units of 10^-6 x second), the
    /// time-weighted integral.
    var total = QuantitySum.zero
    var flushedTotal = QuantitySum.zero
    let start: Int64
    let end: Int64
    var events: Int64 = 0
    var flushedEvents: Int64 = 0
    let grain: Grain
    var dirty = false

    init(grain: Grain, start: Int64) {
        self.grain = grain
        self.start = start
        self.end = grain.bucketEnd(startingAt: start)
    }

    @inline(__always)
    func contains(_ time: Int64) -> Bool { time >= start && time < end }

    /// Counts one more counter event whose addition gave `sum`.
    @inline(__always)
    mutating func addCounted(sum newSum: QuantitySum) {
        total = newSum
        events += 1
        dirty = true
    }
}

/// A gauge bucket's extremes and the value with the latest event time, emitted as absolute
/// values (merging them again is harmless).
struct GaugeStats {
    var minimum = Int64.max
    var maximum = Int64.min
    var latest: Int64 = 0
    var latestTime = Int64.min

    mutating func record(_ value: Int64, at time: Int64) {
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
        if time >= latestTime {
            latestTime = time
            latest = value
        }
    }
}

/// A set bucket's distinct members, and those added since the last flush.
struct SetMembers {
    // Most set buckets hold few members: start small, the table doubles as needed.
    var members = FingerprintSet(minimumCapacity: 4)
    var added: [Fingerprint128] = []
}

/// One series: its identity, its live buckets of every grain, and the gauge carry state.
struct Series {
    /// The canonical series key (see `EventRecord`).
    let key: [UInt8]
    let hash: UInt64
    let type: MetricType
    /// Live buckets of all grains; a few per grain at most (the current one, and late ones).
    var buckets: [Bucket] = []
    /// Gauges only: index-aligned with `buckets`. Empty for other types.
    var gauges: [GaugeStats] = []
    /// Sets only: index-aligned with `buckets`. Empty for other types.
    var sets: [SetMembers] = []
    /// Arrival time of the latest event, for idle eviction.
    var lastArrival: Int64
    /// Gauges: the latest in-order sample, carried forward into the integral until the next
    /// sample or for `gaugeMaxCarrySeconds`, whichever comes first. `carryOpen` is false once
    /// that tail has been added (or before any sample).
    var carryTime = Int64.min
    var carryValue: Int64 = 0
    var carryOpen = false
    /// The series' slot in the shard's `ShardUsageTap`, -1 without one (or for sets).
    var tapSlot: Int32 = -1

    init(key: [UInt8], hash: UInt64, type: MetricType, arrival: Int64) {
        self.key = key
        self.hash = hash
        self.type = type
        self.lastArrival = arrival
        // Hour, day and month: the steady state of a series that gets no late events.
        buckets.reserveCapacity(3)
    }

    /// The tenant and metric bytes of `key`.
    func withTenantAndMetric<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        key.withUnsafeBytes { raw in
            let tenantLength = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
            let metricLength = Int(raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let tenantStart = SeriesKey.headerBytes
            let metricStart = tenantStart + tenantLength
            return body(UnsafeRawBufferPointer(rebasing: raw[tenantStart ..< metricStart]),
                        UnsafeRawBufferPointer(rebasing: raw[metricStart ..< metricStart + metricLength]))
        }
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
