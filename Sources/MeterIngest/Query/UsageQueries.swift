import Synchronization

/// The in-process usage query API: `GET /v1/usage` calls it, and so do the entitlement check
/// and the seeding of quota counters (a billing period's total: grain `hour` over
/// `[periodStart, now)`). Each query runs the protocol of docs/queries.md on the aggregation
/// loop, so its answer counts every event accepted before it exactly once.
public final class UsageQueries: Sendable {
    private let mailbox: UsageQueryMailbox
    public let limits: UsageQueryLimits
    private let inFlight = Atomic<Int>(0)

    public init(mailbox: UsageQueryMailbox, limits: UsageQueryLimits) {
        self.mailbox = mailbox
        self.limits = limits
    }

    /// The rollups of `request`, flushed and in memory.
    /// - Throws: `UsageQueryError` (`unknownTenant`, `busy`, `unavailable`). The range is not
    ///   checked against `limits.maxBuckets` here (the HTTP parameters are).
    public func usage(_ request: UsageRequest) async throws -> UsageAnswer {
        let running = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .relaxed) }
        guard running <= limits.maxInFlight else { throw UsageQueryError.busy(limit: limits.maxInFlight) }
        do {
            return try await mailbox.ask(request)
        } catch UsageQueryError.unknownTenant(_) where request.metric != nil {
            // The metric's series say nothing of the tenant's other metrics: ask tenant-wide.
            var tenantWide = request
            tenantWide.metric = nil
            tenantWide.onShardTurn = nil
            _ = try await mailbox.ask(tenantWide)
            return UsageAnswer(tenant: request.tenant, series: [])
        }
    }

    /// Queries running now.
    public var running: Int { inFlight.load(ordering: .relaxed) }
}
