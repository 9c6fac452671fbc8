public import MeterCore

/// One key's absolute totals for a resync: the period's totals of one (tenant, metric, type,
/// grain, bucket), summed over its dimension combinations (docs/redis.md "Resync").
public struct LiveTotal: Sendable, Hashable {
    public var tenant: String
    public var metric: String
    public var type: MetricType
    public var grain: Grain
    public var bucketStart: Int64
    public var events: Int128 = 0
    public var sumUnits: Int128 = 0
    public var unique: Int128 = 0
    public var integralUnitSeconds: Int128 = 0
    /// The gauge's latest value (micro-units) and its event time (Unix seconds).
    public var latest: (units: Int128, time: Int64)? {
        get { latestUnits.map { ($0, latestTime) } }
        set {
            latestUnits = newValue?.units
            latestTime = newValue?.time ?? .min
        }
    }
    private var latestUnits: Int128?
    private var latestTime: Int64 = .min

    public init(tenant: String, metric: String, type: MetricType, grain: Grain, bucketStart: Int64) {
        self.tenant = tenant
        self.metric = metric
        self.type = type
        self.grain = grain
        self.bucketStart = bucketStart
    }

    /// Adds one dimension combination's row. The latest value goes to the newer event time; on
    /// a tie the larger value wins, so the choice does not depend on row order.
    public mutating func add(events: Int128, sumUnits: Int128, unique: Int128, integralUnitSeconds: Int128,
                             latest: (units: Int128, time: Int64)?) {
        self.events += events
        self.sumUnits += sumUnits
        self.unique += unique
        self.integralUnitSeconds += integralUnitSeconds
        if let latest, latestUnits == nil || latest.time > latestTime
            || (latest.time == latestTime && latest.units > latestUnits!) {
            latestUnits = latest.units
            latestTime = latest.time
        }
    }
}

/// Folds rows of several dimension combinations into one `LiveTotal` per key, in first-seen order.
public struct LiveTotalsBuilder: Sendable {
    public private(set) var totals: [LiveTotal] = []
    private var indexByKey: [LiveTotalKey: Int] = [:]

    private struct LiveTotalKey: Hashable {
        var tenant: String, metric: String, type: MetricType, grain: Grain, bucketStart: Int64
    }

    public init() {}

    public var count: Int { totals.count }

    public mutating func add(tenant: String, metric: String, type: MetricType, grain: Grain, bucketStart: Int64,
                             events: Int128, sumUnits: Int128, unique: Int128, integralUnitSeconds: Int128,
                             latest: (units: Int128, time: Int64)?) {
        let key = LiveTotalKey(tenant: tenant, metric: metric, type: type, grain: grain, bucketStart: bucketStart)
        let index: Int
        if let existing = indexByKey[key] {
            index = existing
        } else {
            index = totals.count
            indexByKey[key] = index
            totals.append(LiveTotal(tenant: tenant, metric: metric, type: type, grain: grain, bucketStart: bucketStart))
        }
        totals[index].add(events: events, sumUnits: sumUnits, unique: unique,
                          integralUnitSeconds: integralUnitSeconds, latest: latest)
    }
}

/// The commands that rewrite one key with absolute values, or why it could not be written.
public struct LiveCounterRewrite: Sendable, Hashable {
    public var key: String
    /// `MULTI`, `DEL`, `HSET` of every non-zero field, `EXPIREAT`, `EXEC`: readers see the old
    /// hash or the new one, never a missing or half-written key. Empty when a value does not fit
    /// Redis' signed 64-bit integers (the key is then left as it is and counted).
    public var commands: [[String]]

    public init(key: String, commands: [[String]]) {
        self.key = key
        self.commands = commands
    }
}

extension LiveCounterKeys {
    /// The first bucket of each grain that a resync rewrites: the bucket holding `now` (UTC), so
    /// the open hour, day and month and any later bucket (events up to
    /// `protocol.max_future_seconds` ahead).
    public static func openBuckets(at now: Int64) -> [Grain: Int64] {
        Dictionary(uniqueKeysWithValues: Grain.allCases.map { ($0, $0.bucketStart(containing: now)) })
    }

    /// The commands that replace `total`'s hash with absolute values. Fields follow the
    /// incremental layout: `events` always, the type's additive field when non-zero (an absent
    /// field reads as 0, as after `HINCRBY`s), and for gauges `latest_units`/`latest_time`.
    public func rewrite(_ total: LiveTotal) -> LiveCounterRewrite {
        let key = key(tenant: total.tenant, metric: total.metric, type: total.type, grain: total.grain,
                      bucketStart: total.bucketStart)
        var fields: [String] = []
        func field(_ name: String, _ value: Int128, evenIfZero: Bool = false) -> Bool {
            guard value != 0 || evenIfZero else { return true }
            guard let exact = Int64(exactly: value) else { return false }
            fields += [name, String(exact)]
            return true
        }
        var representable = field(Field.events, total.events, evenIfZero: true)
        switch total.type {
        case .counter:
            representable = field(Field.sumUnits, total.sumUnits) && representable
        case .set:
            representable = field(Field.unique, total.unique) && representable
        case .gauge:
            representable = field(Field.integralUnitSeconds, total.integralUnitSeconds) && representable
            if let latest = total.latest {
                representable = field(Field.latestUnits, latest.units, evenIfZero: true) && representable
                fields += [Field.latestTime, String(latest.time)]
            }
        }
        guard representable else { return LiveCounterRewrite(key: key, commands: []) }
        return LiveCounterRewrite(key: key, commands: [
            ["MULTI"],
            ["DEL", key],
            ["HSET", key] + fields,
            ["EXPIREAT", key, String(expiresAt(grain: total.grain, bucketStart: total.bucketStart))],
            ["EXEC"],
        ])
    }

    /// The `SCAN ... MATCH` pattern of every mirror key. The prefix is checked at configuration
    /// (`[A-Za-z0-9_.:-]`), so it holds no glob characters.
    public var scanPattern: String { "\(prefix):usage:*" }

    /// Whether a resync from `openBuckets` owns `key`: one of this layout's keys (same prefix)
    /// whose bucket is at or after its grain's first open bucket. Keys of closed periods are
    /// left to expire; keys of another layout are never touched.
    public func isResynced(_ key: String, openBuckets: [Grain: Int64]) -> Bool {
        guard key.hasPrefix("\(prefix):usage:{") else { return false }
        let parts = key.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let bucket = Int64(parts[parts.count - 1]),
              let grain = Grain.allCases.first(where: { $0.name == parts[parts.count - 2] }),
              let first = openBuckets[grain] else { return false }
        return bucket >= first
    }
}
