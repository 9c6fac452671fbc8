import Logging
import MeterAlerts
import MeterConfig
import MeterPostgres
import MeterRedis
import ServiceLifecycle

/// The threshold alert dispatcher as a daemon service (docs/alerts.md): built from `alerts.*`
/// when PostgreSQL is configured (the exactly-once record lives there), started with the other
/// services and stopped after the final flush. The quota evaluation calls
/// `dispatcher.record(_:)` with the levels it saw crossed.
///
/// Sinks: the webhook when `alerts.webhook_url` is set, Redis PUBLISH when `redis` is set,
/// PostgreSQL NOTIFY always.
struct AlertService: Service {
    /// How long shutdown waits for in-flight deliveries and their outbox updates; the rest stays
    /// pending and is sent after the next start.
    static let shutdownLimit = Duration.seconds(2)

    let dispatcher: AlertDispatcher

    /// The dispatcher for `settings`, or nil without PostgreSQL (logged once).
    static func dispatcher(settings: DaemonSettings, instance: String, logger: Logger) throws -> AlertDispatcher? {
        guard let url = settings.postgresURL else {
            logger.info("threshold alerts are off: they need postgres for their exactly-once record")
            return nil
        }
        let alerts = settings.alerts
        let connect: @Sendable () throws -> PostgresConnection = {
            try PostgresConnection(connectionString: url, defaults: CheckpointedRollupWriter.connectionDefaults)
        }
        var sinks: [any AlertSink] = []
        if let webhook = alerts.webhookURL, let secret = alerts.webhookSecret {
            sinks.append(WebhookSink(url: webhook, secret: secret, timeout: alerts.webhookTimeout))
        }
        if let redis = settings.redisURL {
            sinks.append(RedisPublishSink(endpoint: try RedisEndpoint(url: redis), channel: alerts.redisChannel,
                                          timeout: RedisPublishSink.defaultTimeout))
        }
        sinks.append(NotifySink(channel: alerts.notifyChannel, connect: connect))
        var configuration = AlertDispatcherConfiguration(instance: instance)
        configuration.schedule = RetrySchedule(initialDelay: alerts.retryInitialDelay, maxDelay: alerts.retryMaxDelay,
                                               horizon: alerts.retryHorizon)
        configuration.sinkQueueCapacity = alerts.queueSize
        configuration.recordQueueCapacity = alerts.recordQueueSize
        configuration.schemaOptions = settings.schema
        logger.info("threshold alerts on", metadata: ["alerts.sinks": "\(sinks.map(\.name).joined(separator: ","))"])
        return AlertDispatcher(configuration: configuration, connect: connect, sinks: sinks, logger: logger)
    }

    func run() async throws {
        dispatcher.start()
        try? await gracefulShutdown()
        await dispatcher.stop(within: Self.shutdownLimit)
    }
}
