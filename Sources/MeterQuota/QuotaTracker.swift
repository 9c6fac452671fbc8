import MeterAlerts
import MeterCore
import MeterPlans
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Every subscribed tenant's usage in its current billing period, per metric, kept live from
/// the shard threads' usage taps: the threshold alerts (80/90/100% of an included quota,
/// evaluated as each shard turn's counts arrive) and the entitlement checks read it
/// (docs/quotas.md).
///
/// A tenant is counted from a **seeding**: a usage query (flushed plus in memory) over its
/// current period, whose shard snapshots also switch the shards' taps to the tenant's new
/// epoch at the same turn. The query's answer covers every event before each shard's turn,
/// the taps every event after it, so the sum counts each accepted event once. Counts of an
/// older epoch (a seeding that was replaced) are dropped.
public final class QuotaTracker: Sendable {
    /// A tenant to seed: query its usage from `from` on (hour grain) and switch every shard's
    /// tap to `epoch` at the query's snapshot turn.
    public struct SeedRequest: Sendable, Hashable {
        public let tenant: String
        public let epoch: UInt64
        /// The start of the current period's usage window: earlier hours are not tracked.
        public let from: Int64
    }

    /// One hour of one metric from a seeding query.
    public struct SeedRow: Sendable, Hashable {
        public var metric: String
        public var type: MetricType
        public var hourStart: Int64
        /// Counters: the sum; gauges: zero.
        public var sum: QuantitySum
        /// Gauges: the maximum (units of 10^-6); counters: nil.
        public var maximum: Int64?
        public var events: Int64

        public init(metric: String, type: MetricType, hourStart: Int64, sum: QuantitySum, maximum: Int64?, events: Int64) {
            self.metric = metric
            self.type = type
            self.hourStart = hourStart
            self.sum = sum
            self.maximum = maximum
            self.events = events
        }
    }

    struct State {
        var tenants: [String: TenantState] = [:]
        var book = PlanBookSnapshot.empty
        var nextEpoch: UInt64 = 1
    }

    private let state = Mutex(State())
    private let nowMilliseconds: @Sendable () -> Int64
    private let onAlerts: @Sendable ([ThresholdAlert]) -> Void

    /// - Parameters:
    ///   - onAlerts: receives the levels one update reached (several levels at once in one
    ///     call); called outside the tracker's lock, on the caller's thread (a shard thread):
    ///     it must not block (`AlertDispatcher.record` queues).
    ///   - now: wall clock, Unix milliseconds.
    public init(onAlerts: @escaping @Sendable ([ThresholdAlert]) -> Void,
                now: @escaping @Sendable () -> Int64 = QuotaTracker.wallMilliseconds) {
        self.onAlerts = onAlerts
        nowMilliseconds = now
    }

    public static let wallMilliseconds: @Sendable () -> Int64 = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    // MARK: - Plan book

    /// Takes a new plan book: tenants newly subscribed, or whose billing anchor changed, get a
    /// new epoch and are returned to be seeded; tenants no longer subscribed are dropped; a
    /// changed plan (quota) is evaluated at once. Call it with every refresh of the book.
    public func update(book: PlanBookSnapshot) -> [SeedRequest] {
        let now = nowMilliseconds()
        var requests: [SeedRequest] = []
        let alerts = state.withLock { state -> [ThresholdAlert] in
            state.book = book
            var subscribed: Set<String> = []
            for tenant in book.subscriptions.keys {
                guard let terms = TenantTerms(book: book, tenant: tenant, at: now / 1000) else { continue }
                subscribed.insert(tenant)
                if state.tenants[tenant]?.terms.anchor == terms.anchor {
                    state.tenants[tenant]?.take(terms)
                    continue
                }
                let request = SeedRequest(tenant: tenant, epoch: state.takeEpoch(), from: terms.window.start)
                state.tenants[tenant] = TenantState(name: tenant, epoch: request.epoch, terms: terms)
                requests.append(request)
            }
            for tenant in state.tenants.keys where !subscribed.contains(tenant) {
                state.tenants[tenant] = nil
            }
            var alerts: [ThresholdAlert] = []
            for tenant in state.tenants.keys {
                state.tenants[tenant]?.evaluateAll(nowMilliseconds: now, into: &alerts)
            }
            return alerts
        }
        deliver(alerts)
        return requests
    }

    /// A seeding that failed: the tenant gets a new epoch (what the taps counted under the old
    /// one is dropped) and is to be seeded again. Nil when the tenant is no longer tracked or
    /// was seeded anew meanwhile.
    public func retry(_ request: SeedRequest) -> SeedRequest? {
        state.withLock { state -> SeedRequest? in
            guard let known = state.tenants[request.tenant], known.epoch == request.epoch, !known.seeded else { return nil }
            let retry = SeedRequest(tenant: request.tenant, epoch: state.takeEpoch(), from: known.from)
            state.tenants[request.tenant] = TenantState(name: request.tenant, epoch: retry.epoch, terms: known.terms)
            return retry
        }
    }

    /// The seeding query's answer: from here on the tenant's usage is complete, and its
    /// levels are evaluated.
    public func seeded(_ request: SeedRequest, rows: [SeedRow]) {
        let now = nowMilliseconds()
        let alerts = state.withLock { state -> [ThresholdAlert] in
            guard let known = state.tenants[request.tenant], known.epoch == request.epoch, !known.seeded else { return [] }
            var alerts: [ThresholdAlert] = []
            state.tenants[request.tenant]?.seed(rows, nowMilliseconds: now, into: &alerts)
            return alerts
        }
        deliver(alerts)
    }

    // MARK: - Live counts

    /// What a shard's tap counted in one turn.
    public func receive(_ deltas: [ShardUsageTap.Delta]) {
        let now = nowMilliseconds()
        var alerts: [ThresholdAlert] = []
        // In chunks, so an entitlement check waits for at most one chunk, not a whole pass.
        var start = deltas.startIndex
        while start < deltas.endIndex {
            let end = min(start + Self.receiveChunk, deltas.endIndex)
            state.withLock { state in
                // One lookup per delta, updated in place (a copy of a tenant's state would copy
                // its usage tables on write).
                for delta in deltas[start..<end] {
                    state.tenants[delta.tenant]?.record(delta, nowMilliseconds: now, into: &alerts)
                }
            }
            start = end
        }
        deliver(alerts)
    }

    /// Deltas applied per hold of the tracker's lock: a check waits for tens of microseconds at most.
    static let receiveChunk = 128

    // MARK: - Reading

    /// What `tenant` used of `metric` in its current period, with the plan's terms
    /// (docs/quotas.md "Entitlement check").
    public func entitlement(tenant: String, metric: String) -> EntitlementResult {
        let nowMilliseconds = nowMilliseconds()
        let now = nowMilliseconds / 1000
        return state.withLock { state in
            let terms: MetricTerms?
            let plan: String
            let period: BillingPeriod
            switch state.book.entitlement(tenant: tenant, metric: metric, at: now) {
            case .noSubscription: return .noSubscription
            case .unknownPlan(let id): return .unknownPlan(id)
            case .beforeAnchor: return .beforeAnchor
            case .notInPlan(let id, let current):
                terms = nil
                plan = id
                period = current
            case .quota(let quota):
                terms = quota.terms
                plan = quota.plan
                period = quota.period
            }
            guard let known = state.tenants[tenant], known.seeded else { return .seeding }
            let window = UsageWindow(period: period)
            let usage = known.usage[window.start]?[metric] ?? PeriodUsage()
            return .answer(EntitlementAnswer(tenant: tenant, metric: metric, plan: plan, window: window,
                                             usage: usage, terms: terms, nowMilliseconds: nowMilliseconds))
        }
    }

    /// Tenants tracked, and how many of them are seeded.
    public var counts: (tenants: Int, seeded: Int) {
        state.withLock { state in (state.tenants.count, state.tenants.values.count(where: \.seeded)) }
    }

    private func deliver(_ alerts: [ThresholdAlert]) {
        guard !alerts.isEmpty else { return }
        onAlerts(alerts)
    }
}

extension QuotaTracker.State {
    mutating func takeEpoch() -> UInt64 {
        defer { nextEpoch += 1 }
        return nextEpoch
    }
}

extension QuantitySum {
    /// The sum as a `Quantity`, clamped to its range (an alert's `used` is informational).
    var clampedQuantity: Quantity {
        Quantity(units: Int64(clamping: units))
    }
}
