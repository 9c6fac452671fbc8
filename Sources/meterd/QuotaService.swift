import Logging
import MeterHTTP
import MeterAlerts
import MeterCore
import MeterPlans
import MeterQuota
import Metrics
import ServiceLifecycle

/// Live quota evaluation (docs/quotas.md): a usage tap on every shard's aggregator, the
/// `QuotaTracker` they feed, threshold levels to the alert dispatcher, and the seeding of each
/// subscribed tenant's period usage through a usage query. Built when the plan book and
/// PostgreSQL are configured (subscriptions live in PostgreSQL).
final class QuotaService: Service, Sendable {
    /// Reads the tenant's usage from `from` on (hour grain, flushed and in memory), running
    /// `onShardTurn` on each shard thread at its snapshot turn.
    typealias Seed = @Sendable (_ request: QuotaTracker.SeedRequest,
                                _ onShardTurn: @escaping @Sendable (_ shard: Int) -> Void) async throws -> [QuotaTracker.SeedRow]

    /// How often the plan book is looked at for a new generation.
    static let pollInterval = Duration.seconds(1)
    /// Without a new generation, how often the tracker still re-reads the book (periods roll
    /// over, windows are pruned).
    static let refreshInterval = Duration.seconds(60)
    /// Seeding retries after a failure: from 1 s doubling to 30 s.
    static let seedRetryInitial = Duration.seconds(1)
    static let seedRetryMax = Duration.seconds(30)

    let tracker: QuotaTracker
    private let book: PlanBook
    private let engine: MeterEngine
    private let seed: Seed
    private let logger: Logger

    private static let seeded = Counter(label: "meterd_quota_seedings_total", dimensions: [("result", "ok")])
    private static let seedFailed = Counter(label: "meterd_quota_seedings_total", dimensions: [("result", "failed")])
    private static let trackedTenants = Gauge(label: "meterd_quota_tracked_tenants")
    private static let seededTenants = Gauge(label: "meterd_quota_seeded_tenants")
    private static let alertsHanded = Counter(label: "meterd_quota_levels_reached_total")
    private static let alertsRefused = Counter(label: "meterd_quota_levels_dropped_total")

    /// Attaches a tap to every shard's aggregator: call before the shard threads start.
    init(book: PlanBook, engine: MeterEngine, alerts: AlertDispatcher?, seed: @escaping Seed, logger: Logger) {
        self.book = book
        self.engine = engine
        self.seed = seed
        self.logger = logger
        tracker = QuotaTracker(onAlerts: { levels in
            Self.alertsHanded.increment(by: levels.count)
            // `record` queues and never blocks; a full queue is counted by the dispatcher too.
            if let alerts, !alerts.record(levels) { Self.alertsRefused.increment(by: levels.count) }
        })
        for shard in 0..<engine.configuration.shardCount {
            engine.consumer(shard: shard).aggregator.attach(tap: ShardUsageTap())
        }
    }

    /// What the shard threads hand over each turn.
    var usageSink: @Sendable ([ShardUsageTap.Delta]) -> Void {
        { [tracker] deltas in tracker.receive(deltas) }
    }

    /// The `#check` answer line.
    var check: @Sendable (String, String) -> String {
        { [tracker] tenant, metric in tracker.entitlement(tenant: tenant, metric: metric).line(tenant: tenant, metric: metric) }
    }

    /// `GET /v1/entitlement` and `/v1/forecast`.
    var httpLookup: EntitlementRoutes.Lookup {
        { [tracker] tenant, metric, view in
            tracker.entitlement(tenant: tenant, metric: metric)
                .http(tenant: tenant, metric: metric, view: view == .forecast ? .forecast : .entitlement)
        }
    }

    func run() async throws {
        var generation = -1
        var lastRefresh = ContinuousClock.now
        var waiting: [(request: QuotaTracker.SeedRequest, delay: Duration)] = []
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let (snapshot, current) = book.versioned
            if current != generation || ContinuousClock.now - lastRefresh >= Self.refreshInterval {
                generation = current
                lastRefresh = .now
                waiting += tracker.update(book: snapshot).map { ($0, Self.seedRetryInitial) }
            }
            var failed: [(request: QuotaTracker.SeedRequest, delay: Duration)] = []
            for (request, delay) in waiting {
                if Task.isShuttingDownGracefully { break }
                if let retry = await seedOnce(request) {
                    failed.append((retry, min(delay * 2, Self.seedRetryMax)))
                    try? await Task.sleep(for: delay)
                }
            }
            waiting = failed
            let counts = tracker.counts
            Self.trackedTenants.record(counts.tenants)
            Self.seededTenants.record(counts.seeded)
            try? await Task.sleep(for: Self.pollInterval)
        }
    }

    /// Seeds one tenant; on failure, the request to try again (nil when done or obsolete).
    private func seedOnce(_ request: QuotaTracker.SeedRequest) async -> QuotaTracker.SeedRequest? {
        let engine = engine
        let epoch = request.epoch
        let tenant = request.tenant
        do {
            let rows = try await seed(request) { shard in
                engine.consumer(shard: shard).aggregator.usageTap?.setEpoch(epoch, tenant: tenant)
            }
            tracker.seeded(request, rows: rows)
            Self.seeded.increment()
            return nil
        } catch {
            Self.seedFailed.increment()
            logger.warning("reading a tenant's period usage failed; its quota levels wait for the retry",
                           metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            return tracker.retry(request)
        }
    }
}
