import Synchronization

/// The series limits shared by all aggregator shards: series per tenant, series in total, and
/// distinct values per (tenant, dimension key).
///
/// A tenant's series are spread over shards, so the counts live here. It is consulted only
/// when a series is created or forgotten, never for an event of a known series. But every
/// shard creates series at the same moments (start-up, a busy new period: 100,000 series in
/// the first second of a load), so one lock for all tenants was the daemon's hottest spot
/// then: the shard threads spun on it and starved its holder on a busy machine. Tenants are
/// therefore spread over `stripeCount` independently locked stripes, and the total is an
/// atomic that is only raised by a compare-and-exchange below the limit, so it never
/// overshoots.
///
/// The three limits can be changed while running (`update`, SIGHUP): a lower limit refuses new
/// series from then on and never evicts a live one, so a tenant above it stays there until its
/// series go idle.
public final class CardinalityLimiter: Sendable {
    /// Independently locked parts of the tenant table; a tenant's counts live in one.
    static let stripeCount = 64

    private struct TenantState {
        var seriesCount = 0
        /// Per dimension key: value hash -> number of live series using it.
        var dimensionValues: [[UInt8]: [UInt64: Int]] = [:]
    }

    /// The limits this type enforces, a part of `AggregatorLimits`.
    public struct Limits: Sendable, Hashable {
        public var maxSeries: Int
        public var maxSeriesPerTenant: Int
        public var maxValuesPerDimension: Int

        public init(_ limits: AggregatorLimits) {
            maxSeries = limits.maxSeries
            maxSeriesPerTenant = limits.maxSeriesPerTenant
            maxValuesPerDimension = limits.maxValuesPerDimension
        }
    }

    private final class Stripe: Sendable {
        let tenants = Mutex<[[UInt8]: TenantState]>([:])
    }

    private let hasher: ByteHasher
    private let stripes: [Stripe]
    // The limits in force, as atomics so an admission takes no shared lock. `update` stores
    // them one by one: an admission racing a reload may see the old value of one limit.
    private let maxSeries: Atomic<Int>
    private let maxSeriesPerTenant: Atomic<Int>
    private let maxValuesPerDimension: Atomic<Int>
    private let liveSeries = Atomic<Int>(0)

    public init(limits: AggregatorLimits, hasher: ByteHasher) {
        self.hasher = hasher
        stripes = (0..<Self.stripeCount).map { _ in Stripe() }
        maxSeries = Atomic(limits.maxSeries)
        maxSeriesPerTenant = Atomic(limits.maxSeriesPerTenant)
        maxValuesPerDimension = Atomic(limits.maxValuesPerDimension)
    }

    /// The limits in force.
    public var limits: Limits {
        var limits = Limits(AggregatorLimits())
        limits.maxSeries = maxSeries.load(ordering: .relaxed)
        limits.maxSeriesPerTenant = maxSeriesPerTenant.load(ordering: .relaxed)
        limits.maxValuesPerDimension = maxValuesPerDimension.load(ordering: .relaxed)
        return limits
    }

    /// Replaces the limits; `limits` must be valid (`AggregatorLimits.validationErrors()`).
    public func update(_ limits: Limits) {
        precondition(limits.maxSeries >= 1 && limits.maxSeriesPerTenant >= 1 && limits.maxValuesPerDimension >= 1,
                     "invalid cardinality limits")
        maxSeries.store(limits.maxSeries, ordering: .relaxed)
        maxSeriesPerTenant.store(limits.maxSeriesPerTenant, ordering: .relaxed)
        maxValuesPerDimension.store(limits.maxValuesPerDimension, ordering: .relaxed)
    }

    /// Live series in the daemon.
    public var totalSeries: Int { liveSeries.load(ordering: .relaxed) }

    /// Live series of one tenant.
    public func seriesCount(tenant: String) -> Int {
        let key = Array(tenant.utf8)
        return stripe(of: key).tenants.withLock { $0[key]?.seriesCount ?? 0 }
    }

    /// Admits a new series of `tenant` with the encoded `dimensions` region (see `EventRecord`),
    /// or says which limit refuses it. Admission takes a place in every count it checks.
    public func admit(tenant: UnsafeRawBufferPointer, dimensions: UnsafeRawBufferPointer) -> RefusalReason? {
        let tenantKey = [UInt8](tenant)
        var entries: [(key: [UInt8], valueHash: UInt64)] = []
        SeriesKey.forEachDimension(in: dimensions) { key, value in
            entries.append(([UInt8](key), hasher.hash(value)))
        }
        let limits = self.limits
        return stripe(of: tenantKey).tenants.withLock { tenants -> RefusalReason? in
            if liveSeries.load(ordering: .relaxed) >= limits.maxSeries { return .seriesLimit }
            let current = tenants[tenantKey]
            if (current?.seriesCount ?? 0) >= limits.maxSeriesPerTenant { return .tenantSeriesLimit }
            for entry in entries {
                let values = current?.dimensionValues[entry.key]
                if values?[entry.valueHash] == nil && (values?.count ?? 0) >= limits.maxValuesPerDimension {
                    return .dimensionValueLimit
                }
            }
            guard reserveSeries(below: limits.maxSeries) else { return .seriesLimit }
            // In place (no copy of the tenant's dictionaries).
            tenants[tenantKey, default: TenantState()].seriesCount += 1
            for entry in entries {
                tenants[tenantKey, default: TenantState()].dimensionValues[entry.key, default: [:]][entry.valueHash, default: 0] += 1
            }
            return nil
        }
    }

    /// Gives back the places taken by `admit` for a series that is forgotten.
    public func release(tenant: UnsafeRawBufferPointer, dimensions: UnsafeRawBufferPointer) {
        let tenantKey = [UInt8](tenant)
        var entries: [(key: [UInt8], valueHash: UInt64)] = []
        SeriesKey.forEachDimension(in: dimensions) { key, value in
            entries.append(([UInt8](key), hasher.hash(value)))
        }
        stripe(of: tenantKey).tenants.withLock { tenants in
            guard tenants[tenantKey] != nil else {
                preconditionFailure("released a series of a tenant that has none")
            }
            for entry in entries {
                let remaining = (tenants[tenantKey]!.dimensionValues[entry.key]?[entry.valueHash] ?? 0) - 1
                precondition(remaining >= 0, "released a dimension value that was never admitted")
                tenants[tenantKey]!.dimensionValues[entry.key]?[entry.valueHash] = remaining == 0 ? nil : remaining
                if tenants[tenantKey]!.dimensionValues[entry.key]?.isEmpty == true {
                    tenants[tenantKey]!.dimensionValues[entry.key] = nil
                }
            }
            tenants[tenantKey]!.seriesCount -= 1
            if tenants[tenantKey]!.seriesCount == 0 { tenants[tenantKey] = nil }
        }
        liveSeries.subtract(1, ordering: .relaxed)
    }

    /// Raises the live total by one unless it is already at `maxSeries`.
    private func reserveSeries(below maxSeries: Int) -> Bool {
        var total = liveSeries.load(ordering: .relaxed)
        while total < maxSeries {
            let (exchanged, found) = liveSeries.compareExchange(expected: total, desired: total + 1, ordering: .relaxed)
            if exchanged { return true }
            total = found
        }
        return false
    }

    private func stripe(of tenantKey: [UInt8]) -> Stripe {
        let hash = tenantKey.withUnsafeBytes { hasher.hash($0) }
        return stripes[Int(truncatingIfNeeded: hash.multipliedFullWidth(by: UInt64(Self.stripeCount)).high)]
    }
}
