import Logging
import MeterConfig
import MeterCore
import MeterIngest

/// Start-up of the durable state, before any thread or listener starts: the saved idempotency
/// keys (with PostgreSQL and `data_dir`), then the WAL and its replay (with `data_dir`).
/// Returns the WAL as the shard threads and the flusher use it, nil without `data_dir`.
enum DurableStartup {
    static func open(settings: DaemonSettings, engine: MeterEngine, persistsDedup: Bool, instance: String,
                     readiness: Readiness, logger: Logger) throws -> ShardLog? {
        if persistsDedup, let url = settings.postgresURL {
            // Before the WAL replay: replayed events are checked against the keys committed
            // before, and their own keys are journaled (they are not in the table yet).
            DedupStartup.load(url: url, instance: instance, schemaOptions: settings.schema, engine: engine,
                              required: settings.dedupRequiresSavedIDs, logger: logger)
            engine.startDedupJournals()
        }
        guard let dataDir = settings.dataDir else {
            logger.warning("no data_dir: events are not logged, a crash loses what was not flushed yet (docs/durability.md)")
            return nil
        }
        return try WALStartup.open(dataDirectory: dataDir, configuration: settings.wal, engine: engine,
                                   postgresURL: settings.postgresURL, instance: instance,
                                   schemaOptions: settings.schema, readiness: readiness, logger: logger).log
    }
}
