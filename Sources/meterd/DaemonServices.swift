import Logging
import MeterConfig
import MeterCore
import MeterHTTP
import MeterIngest
import MeterQuota
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The daemon's services in the order the `ServiceGroup` runs them. Shutdown runs in reverse:
/// STOPPING=1 goes out first, then the listeners close (connections push their last records),
/// then aggregation drains the ring and flushes, then HTTP and metrics stop, and the Redis
/// mirror (started first) stops last, after the final flush.
struct DaemonServices {
    let settings: DaemonSettings
    let engine: MeterEngine
    let sinks: DaemonSinks
    let shardLog: ShardLog?
    let activated: ActivatedSockets
    let readiness: Readiness
    let registry: PrometheusCollectorRegistry
    let reload: ReloadService
    let flushInterval: FlushInterval
    /// The plan book, when `plans.file` is set (docs/plans.md).
    let plans: PlanService?
    let logger: Logger

    func make() -> [any Service] {
        let group = MultiThreadedEventLoopGroup.singleton
        let ingestStats = IngestStats()
        let aggregateStats = AggregateStats(shardCount: engine.configuration.shardCount)
        let flushStats = FlushStats()
        let reporter = MetricsReporter(engine: engine, ingestStats: ingestStats, aggregateStats: aggregateStats,
                                       flushStats: flushStats, log: shardLog)
        var routes = MeterRoutes(registry: registry, reporter: reporter, readiness: readiness, rollups: sinks.memory)
        let auth = HTTPAuthenticator(settings: settings.httpAuth)
        if auth.hasTokens {
            logger.info("http api tokens configured", metadata: ["tokens": "\(settings.httpAuth.allTokens.count)"])
        } else {
            logger.warning("no http api token configured: only \(settings.httpAuth.exemptPaths.joined(separator: ", ")) are served (set http_auth.tokens or http_auth.token_file)")
        }
        var aggregation = AggregationService(engine: engine, sink: sinks.flush, flushInterval: flushInterval,
                                             stats: aggregateStats, flushStats: flushStats, logger: logger, log: shardLog,
                                             usageStore: sinks.usage)
        let usage = UsageQueries(mailbox: aggregation.queries, limits: settings.usageQuery)
        // Live quotas need the plan book's subscriptions, which live in PostgreSQL.
        let quota = plans.flatMap { plans in
            settings.postgresURL.map { _ in
                QuotaService(book: plans.book, engine: engine, alerts: sinks.alerts,
                             seed: QuotaSeeding.seed(using: usage), logger: logger)
            }
        }
        aggregation.usageSink = quota?.usageSink
        aggregation.shardNiceness = settings.shardNiceness
        if let quota { routes.entitlements = EntitlementRoutes(lookup: quota.httpLookup) }
        let responder = routes
        var services: [any Service] = [
            reporter,
            HTTPServer(address: settings.http, group: group, readiness: readiness, logger: logger, auth: auth,
                       events: HTTPEventsEndpoint(engine: engine, stats: ingestStats, limits: settings.httpEvents),
                       usage: UsageEndpoint(queries: usage), responder: { responder.respond($0) }),
            reload,
        ]
        if let plans { services.append(plans) }
        if let quota { services.append(quota) }
        var tcp = StreamListener(endpoint: .tcp(settings.tcp), boundSocket: activated.tcp, engine: engine, stats: ingestStats,
                                 readiness: readiness, group: group, logger: logger)
        tcp.entitlementCheck = quota?.check
        services += [
            aggregation,
            UDPListener(settings: .init(address: settings.udp, boundSocket: activated.udp), engine: engine, stats: ingestStats,
                        readiness: readiness, group: group, logger: logger),
            tcp,
        ]
        if let path = activated.unixPath ?? settings.unixPath {
            var unix = StreamListener(endpoint: .unix(path: path), boundSocket: activated.unix, engine: engine, stats: ingestStats,
                                      readiness: readiness, group: group, logger: logger)
            unix.entitlementCheck = quota?.check
            services.append(unix)
        }
        // Last, so graceful shutdown reaches it first: STOPPING=1 goes out before the drain.
        let liveness = LivenessProbe(group: group, aggregateStats: aggregateStats, flushStats: flushStats)
        services.append(SystemdService(readiness: readiness, stats: ingestStats, liveness: liveness, logger: logger))
        if let mirror = sinks.mirror { services.insert(mirror, at: 0) }  // first started, last stopped
        // Before the mirror: alerts of the final flush are still recorded and delivered.
        if let alerts = sinks.alerts { services.insert(AlertService(dispatcher: alerts), at: 0) }
        return services
    }

    /// The listeners `/readyz` waits for: UDP, TCP, HTTP, and Unix when configured or activated.
    static func listenerNames(settings: DaemonSettings, activated: ActivatedSockets) -> [String] {
        var listeners = ["udp", "tcp", "http"]
        if settings.unixPath != nil || activated.unix != nil { listeners.append("unix") }
        return listeners
    }
}
