import Logging
import MeterCore
import MeterPostgres
import Metrics

#if canImport(Glibc)
import Glibc
#endif

/// Start-up with PostgreSQL and a data directory: loads the idempotency keys committed within
/// the window (`meterd.dedup_ids`) back into the shards' windows, before the WAL replay and
/// before any listener binds (docs/dedup.md "Restarts").
///
/// One attempt: if PostgreSQL is unreachable, meterd starts without them (logged), so a retry
/// of an event counted before the restart may be counted again; nothing else is affected.
enum DedupStartup {
    static func load(url: String, instance: String, schemaOptions: SchemaOptions, engine: MeterEngine, logger: Logger) {
        let clock = ContinuousClock()
        let started = clock.now
        let now = Int64(time(nil))
        let shardCount = engine.configuration.shardCount
        var loaded = 0
        var everyShard = 0
        do {
            let connection = try PostgresConnection(connectionString: url, defaults: CheckpointedRollupWriter.connectionDefaults)
            defer { connection.close() }
            try Migrations.apply(on: connection, options: schemaOptions)
            loaded = try DedupIDSQL.load(on: connection, instance: instance,
                                         since: now - engine.configuration.dedupWindowSeconds) { rows in
                for row in rows {
                    let sameLayout = row.shards == shardCount
                    if !sameLayout { everyShard += 1 }
                    engine.restoreDedupID(row.entry.fingerprint, arrival: row.entry.arrival, shard: sameLayout ? row.shard : nil)
                }
            }
        } catch {
            logger.warning("cannot load the persisted idempotency keys: retries of events counted before the restart may be counted again",
                           metadata: ["error": "\(error)"])
            return
        }
        let elapsed = clock.now - started
        logger.info("idempotency keys loaded", metadata: [
            "dedup.loaded": "\(loaded)", "dedup.loaded_into_every_shard": "\(everyShard)",
            "dedup.load_seconds": "\(elapsed)",
        ])
        Counter(label: "meterd_dedup_loaded_ids_total").increment(by: loaded)
    }
}
