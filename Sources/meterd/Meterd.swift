import ArgumentParser
import Foundation
import Logging
import MeterConfig
import MeterCore
import MeterHTTP
import MeterIngest
import MeterWAL
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// The meterd daemon: loads its settings (flags, environment, config file), bootstraps logging
/// and metrics, assembles the services and runs them in one `ServiceGroup` until SIGTERM or SIGINT.
@main
struct Meterd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meterd",
        abstract: "Usage-metering daemon: DogStatsD lines in, exact rollups out.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)  // hiredis writes with write(2): a closed Redis socket must not kill us
        // Trap SIGHUP first: its default action would end the process during start-up.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let settings = try Self.loadSettings(options)
        let planCatalog = try PlanService.loadAtStartup(settings)
        let logLevel = LogLevelControl(settings.logLevel)
        LoggingSystem.bootstrap { label in
            ControlledLogHandler(inner: StreamLogHandler.standardError(label: label), control: logLevel)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: registry))
        let logger = Logger(label: "meterd")
        for warning in DaemonConfiguration.environmentWarnings(ProcessInfo.processInfo.environment) { logger.warning("\(warning)") }

        let configuration = settings.engine  // checked by DaemonConfiguration.load
        let engine = MeterEngine(configuration: configuration, hasher: try HashSeed.hasher(dataDirectory: settings.dataDir))
        let instance = Self.instanceName()
        // Idempotency keys persist with PostgreSQL and a data directory (whose hash seed keeps
        // their fingerprints meaningful across restarts): docs/dedup.md "Restarts".
        let persistsDedup = settings.postgresURL != nil && settings.dataDir != nil && configuration.dedupWindowSeconds > 0
        let sinks = try DaemonSinks(settings: settings, persistsDedup: persistsDedup, instance: instance, logger: logger)
        let activated = ActivatedSockets.fromEnvironment(logger: logger)
        let readiness = Readiness(expecting: DaemonServices.listenerNames(settings: settings, activated: activated))
        let shardLog = try DurableStartup.open(settings: settings, engine: engine, persistsDedup: persistsDedup,
                                               instance: instance, readiness: readiness, logger: logger)

        let flushInterval = FlushInterval(settings.flushInterval)
        let plans = PlanService(settings: settings, catalog: planCatalog, logger: logger)
        let reload = ReloadService(
            signals: hangups, load: { [options] () throws(ConfigurationError) in try Self.reloadSettings(options) },
            initial: settings,
            appliers: .init(logLevel: { logLevel.level = $0 }, flushInterval: { flushInterval.current = $0 },
                            cardinalityLimits: { engine.limiter.update(.init($0.engine.aggregatorLimits)) },
                            plans: { plans?.reloadFile() }),
            logger: logger)
        let services = DaemonServices(settings: settings, engine: engine, sinks: sinks, shardLog: shardLog,
                                      activated: activated, readiness: readiness, registry: registry, reload: reload,
                                      flushInterval: flushInterval, plans: plans, logger: logger).make()

        logger.info("meterd starting", metadata: [
            "shards": "\(configuration.shardCount)",
            "flush.interval_seconds": "\(Double(settings.flushInterval.components.seconds) + Double(settings.flushInterval.components.attoseconds) / 1e18)",
            "config.file": "\(DaemonConfiguration.filePath(flag: options.config, environment: ProcessInfo.processInfo.environment) ?? "none")",
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
        // After the final flush (the aggregation service has returned): commit what is pending.
        if let shardLog {
            do { try shardLog.wal.close() } catch { logger.error("WAL close failed", metadata: ["error": "\(error)"]) }
        }

        if settings.debugPrintRollups, let memory = sinks.memory {
            let rows = memory.rows()
            for tenant in RollupsJSON.tenants(in: rows) {
                print(RollupsJSON.render(tenant: tenant, rows: rows), terminator: "")
            }
        }
        logger.info("meterd stopped")
    }

    /// The settings from flags, environment and config file. A bad value exits with the
    /// message: 64 (EX_USAGE) when a flag is at fault, 78 (EX_CONFIG) for the file or environment.
    static func loadSettings(_ options: DaemonOptions) throws -> DaemonSettings {
        let environment = ProcessInfo.processInfo.environment
        do {
            return try DaemonConfiguration.load(file: DaemonConfiguration.filePath(flag: options.config, environment: environment),
                                                environment: environment, flags: options.commandLineValues())
        } catch {
            if error.exitCode == ConfigurationError.usageExitCode { throw ValidationError(error.description) }
            for problem in error.problems {  // a multi-line problem (a YAML syntax error) indents the rest
                FileHandle.standardError.write(Data("Error: \(problem.message.replacingOccurrences(of: "\n", with: "\n  "))\n".utf8))
            }
            throw ExitCode(error.exitCode)
        }
    }

    /// The settings as a reload (SIGHUP) reads them: the same flags, the current environment and
    /// the config file as it is now; the problems are returned, never printed or fatal.
    static func reloadSettings(_ options: DaemonOptions) throws(ConfigurationError) -> DaemonSettings {
        let environment = ProcessInfo.processInfo.environment
        return try DaemonConfiguration.load(file: DaemonConfiguration.filePath(flag: options.config, environment: environment),
                                            environment: environment, flags: options.commandLineValues())
    }

    /// This instance's name in `meterd.flush_checkpoints`: `METERD_INSTANCE`, else the host name.
    static func instanceName() -> String {
        if let name = getenv("METERD_INSTANCE").map({ String(cString: $0) }), !name.isEmpty { return name }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "meterd" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
