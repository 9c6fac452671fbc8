import ArgumentParser
import Logging
import MeterCore
import MeterHTTP
import MeterIngest
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// The meterd daemon: parses flags, bootstraps logging and metrics, assembles the services and
/// runs them in one `ServiceGroup` until SIGTERM or SIGINT.
@main
struct Meterd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meterd",
        abstract: "Usage-metering daemon: DogStatsD lines in, exact rollups out.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)  // hiredis writes with write(2): a closed Redis socket must not kill us
        let level = options.parsedLogLevel ?? .info
        let logLevel = LogLevelControl(level)
        LoggingSystem.bootstrap { label in
            ControlledLogHandler(inner: StreamLogHandler.standardError(label: label), control: logLevel)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: registry))
        let logger = Logger(label: "meterd")

        var configuration = EngineConfiguration()
        configuration.shardCount = options.shards
        let problems = configuration.validationErrors()
        guard problems.isEmpty else {
            throw ValidationError("invalid engine configuration: \(problems.joined(separator: "; "))")
        }
        let settings = DaemonSettings(options: options)
        let engine = MeterEngine(configuration: configuration, hasher: try HashSeed.hasher(dataDirectory: settings.dataDir))

        let ingestStats = IngestStats()
        let aggregateStats = AggregateStats(shardCount: configuration.shardCount)
        let flushStats = FlushStats()
        // Rollups go to PostgreSQL when it is configured, and to memory for /debug/rollups.
        let sink = InMemoryRollupSink()
        var flushSink: any RollupSink = sink
        if let url = settings.postgresURL {
            flushSink = TeeRollupSink(
                durable: PostgresRollupSink(connectionString: url, instance: Self.instanceName(), logger: logger),
                memory: sink)
        }
        // Redis mirrors only what the write above committed, off the ingest path (RedisMirror).
        let mirror = try settings.redisURL.map { try RedisMirror(flag: $0, logger: logger) }
        if let mirror { flushSink = MirroredRollupSink(committed: flushSink, mirror: mirror) }
        let group = MultiThreadedEventLoopGroup.singleton
        let activated = ActivatedSockets.fromEnvironment(logger: logger)
        var listeners = ["udp", "tcp", "http"]
        if settings.unixPath != nil || activated.unix != nil { listeners.append("unix") }
        let readiness = Readiness(expecting: listeners)

        let reporter = MetricsReporter(engine: engine, ingestStats: ingestStats, aggregateStats: aggregateStats,
                                       flushStats: flushStats)
        let routes = MeterRoutes(registry: registry, reporter: reporter, readiness: readiness, rollups: sink)
        // Shutdown runs in reverse order: listeners close first (connections push their last
        // records), then aggregation drains the ring and flushes, then HTTP and metrics stop.
        var services: [any Service] = [
            reporter,
            HTTPServer(address: settings.http, group: group, readiness: readiness, logger: logger,
                       responder: { routes.respond($0) }),
            AggregationService(engine: engine, sink: flushSink, flushInterval: settings.flushInterval,
                               stats: aggregateStats, flushStats: flushStats, logger: logger),
            UDPListener(settings: .init(address: settings.udp, boundSocket: activated.udp), engine: engine, stats: ingestStats,
                        readiness: readiness, group: group, logger: logger),
            StreamListener(endpoint: .tcp(settings.tcp), boundSocket: activated.tcp, engine: engine, stats: ingestStats,
                           readiness: readiness, group: group, logger: logger),
        ]
        if let path = activated.unixPath ?? settings.unixPath {
            services.append(StreamListener(endpoint: .unix(path: path), boundSocket: activated.unix, engine: engine, stats: ingestStats,
                                           readiness: readiness, group: group, logger: logger))
        }
        // Last, so graceful shutdown reaches it first: STOPPING=1 goes out before the drain.
        services.append(SystemdService(readiness: readiness, stats: ingestStats, logger: logger))

        if let mirror { services.insert(mirror, at: 0) }  // first started, last stopped: after the final flush

        logger.info("meterd starting", metadata: [
            "shards": "\(configuration.shardCount)",
            "flush.interval_seconds": "\(options.flushInterval)",
            "data_dir": "\(settings.dataDir ?? "none")",
            // Connection strings may carry passwords: only say whether they were given.
            "postgres.configured": "\(settings.postgresURL != nil)",
            "redis.configured": "\(settings.redisURL != nil)",
        ])
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await serviceGroup.run()

        if options.debugPrintRollups {
            let rows = sink.rows()
            for tenant in RollupsJSON.tenants(in: rows) {
                print(RollupsJSON.render(tenant: tenant, rows: rows), terminator: "")
            }
        }
        logger.info("meterd stopped")
    }

    /// This instance's name in `meterd.flush_checkpoints`: `METERD_INSTANCE`, else the host name.
    static func instanceName() -> String {
        if let name = getenv("METERD_INSTANCE").map({ String(cString: $0) }), !name.isEmpty { return name }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "meterd" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
