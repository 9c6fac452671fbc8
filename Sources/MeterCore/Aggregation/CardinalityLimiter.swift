import Synchronization

/// The series limits shared by all aggregator shards: series per tenant, series in total, and
/// distinct values per (tenant, dimension key).
///
/// A tenant's series are spread over shards, so the counts live here, behind one lock. It is
/// consulted only when a series is created or forgotten, never for an event of a known series,
/// so the lock is off the hot path.
///
/// The three limits can be changed while running (`update`, SIGHUP): a lower limit refuses new
/// series from then on and never evicts a live one, so a tenant above it stays there until its
/// series go idle.
public final class CardinalityLimiter: Sendable {
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

    private struct State {
        var limits: Limits
        var totalSeries = 0
        var tenants: [[UInt8]: TenantState] = [:]
    }

    private let hasher: ByteHasher
    private let state: Mutex<State>

    public init(limits: AggregatorLimits, hasher: ByteHasher) {
        self.hasher = hasher
        state = Mutex(State(limits: Limits(limits)))
    }

    /// The limits in force.
    public var limits: Limits { state.withLock { $0.limits } }

    /// Replaces the limits; `limits` must be valid (`AggregatorLimits.validationErrors()`).
    public func update(_ limits: Limits) {
        precondition(limits.maxSeries >= 1 && limits.maxSeriesPerTenant >= 1 && limits.maxValuesPerDimension >= 1,
                     "invalid cardinality limits")
        state.withLock { $0.limits = limits }
    }

    /// Live series in the daemon.
    public var totalSeries: Int { state.withLock { $0.totalSeries } }

    /// Live series of one tenant.
    public func seriesCount(tenant: String) -> Int {
        state.withLock { $0.tenants[Array(tenant.utf8)]?.seriesCount ?? 0 }
    }

    /// Admits a new series of `tenant` with the encoded `dimensions` region (see `EventRecord`),
    /// or says which limit refuses it. Admission takes a place in every count it checks.
    public func admit(tenant: UnsafeRawBufferPointer, dimensions: UnsafeRawBufferPointer) -> RefusalReason? {
        let tenantKey = [UInt8](tenant)
        var entries: [(key: [UInt8], valueHash: UInt64)] = []
        SeriesKey.forEachDimension(in: dimensions) { key, value in
            entries.append(([UInt8](key), hasher.hash(value)))
        }
        return state.withLock { state -> RefusalReason? in
            let limits = state.limits
            if state.totalSeries >= limits.maxSeries { return .seriesLimit }
            var tenantState = state.tenants[tenantKey] ?? TenantState()
            if tenantState.seriesCount >= limits.maxSeriesPerTenant { return .tenantSeriesLimit }
            for entry in entries {
                let values = tenantState.dimensionValues[entry.key]
                if values?[entry.valueHash] == nil && (values?.count ?? 0) >= limits.maxValuesPerDimension {
                    return .dimensionValueLimit
                }
            }
            for entry in entries {
                tenantState.dimensionValues[entry.key, default: [:]][entry.valueHash, default: 0] += 1
            }
            tenantState.seriesCount += 1
            state.tenants[tenantKey] = tenantState
            state.totalSeries += 1
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
        state.withLock { state in
            guard var tenantState = state.tenants[tenantKey] else {
                preconditionFailure("released a series of a tenant that has none")
            }
            for entry in entries {
                let remaining = (tenantState.dimensionValues[entry.key]?[entry.valueHash] ?? 0) - 1
                precondition(remaining >= 0, "released a dimension value that was never admitted")
                tenantState.dimensionValues[entry.key]?[entry.valueHash] = remaining == 0 ? nil : remaining
                if tenantState.dimensionValues[entry.key]?.isEmpty == true {
                    tenantState.dimensionValues[entry.key] = nil
                }
            }
            tenantState.seriesCount -= 1
            state.tenants[tenantKey] = tenantState.seriesCount == 0 ? nil : tenantState
            state.totalSeries -= 1
        }
    }
}
