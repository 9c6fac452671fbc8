import Logging
import MeterAlerts
import MeterCore
import MeterConfig
import MeterIngest
import MeterRedis

/// Where flushed rollups go, assembled from the settings: PostgreSQL when configured (plus an
/// in-memory copy for `/debug/rollups` when asked), memory only without it; Redis mirrors what
/// the write committed, off the ingest path (`RedisMirror`).
struct DaemonSinks {
    /// The sink the flusher writes to.
    var flush: any RollupSink
    /// The in-memory copy behind `/debug/rollups`, when kept (a memory copy grows with every
    /// bucket ever flushed).
    var memory: InMemoryRollupSink?
    /// The Redis mirror service, when `redis` is set.
    var mirror: RedisMirror?
    /// The threshold alert dispatcher, with PostgreSQL (`AlertService`): the quota evaluation
    /// hands crossed levels to `alerts.record(_:)`.
    var alerts: AlertDispatcher?
    /// Where usage queries read flushed rollups: PostgreSQL on a connection of their own, or
    /// the in-memory sink (docs/queries.md).
    var usage: any UsageStore

    init(settings: DaemonSettings, persistsDedup: Bool, instance: String, logger: Logger) throws {
        let configuration = settings.engine
        memory = settings.keepsRollupsInMemory ? InMemoryRollupSink() : nil
        if let url = settings.postgresURL {
            let durable = PostgresRollupSink(connectionString: url, instance: instance,
                                             schemaOptions: settings.schema, logger: logger,
                                             dedup: persistsDedup ? (configuration.shardCount, configuration.dedupWindowSeconds) : nil)
            flush = memory.map { TeeRollupSink(durable: durable, memory: $0) } ?? durable
            usage = PostgresUsageStore(connectionString: url, instance: instance)
        } else {
            flush = memory!  // keepsRollupsInMemory is true without PostgreSQL
            usage = InMemoryUsageStore(sink: memory!)
        }
        let totals: any LiveTotalsSource = settings.postgresURL.map { PostgresLiveTotals(connectionString: $0, instance: instance) }
            ?? MemoryLiveTotals(sink: memory!)
        let keys = LiveCounterKeys(prefix: settings.redisKeyPrefix, retentionSeconds: settings.redisRetentionSeconds)
        mirror = try settings.redisURL.map { try RedisMirror(flag: $0, keys: keys, totals: totals, logger: logger) }
        if let mirror { flush = MirroredRollupSink(committed: flush, mirror: mirror) }
        alerts = try AlertService.dispatcher(settings: settings, instance: instance, logger: logger)
    }
}
