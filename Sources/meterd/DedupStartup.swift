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
/// With `dedup.require_saved_ids` (the default) it waits while PostgreSQL is unreachable
/// (`PostgresStartupRetry`): starting without the keys would count a retry of an event counted
/// before the restart a second time. Without it: one attempt, then start without them.
/// Restoring a key twice (an attempt that failed part-way) changes nothing.
enum DedupStartup {
    static func load(url: String, instance: String, schemaOptions: SchemaOptions, engine: MeterEngine,
                     required: Bool, logger: Logger) {
        let clock = ContinuousClock()
        let started = clock.now
        let shardCount = engine.configuration.shardCount
        var everyShard = 0
        func attempt() throws -> Int {
            everyShard = 0
            let now = Int64(time(nil))
            let connection = try PostgresConnection(connectionString: url, defaults: CheckpointedRollupWriter.connectionDefaults)
            defer { connection.close() }
            try Migrations.apply(on: connection, options: schemaOptions)
            return try DedupIDSQL.load(on: connection, instance: instance,
                                       since: now - engine.configuration.dedupWindowSeconds) { rows in
                for row in rows {
                    let sameLayout = row.shards == shardCount
                    if !sameLayout { everyShard += 1 }
                    engine.restoreDedupID(row.entry.fingerprint, arrival: row.entry.arrival, shard: sameLayout ? row.shard : nil)
                }
            }
        }
        let loaded: Int
        if required {
            loaded = PostgresStartupRetry.untilDone(
                waiting: "waiting for PostgreSQL to load the saved idempotency keys (dedup.require_saved_ids; not ready meanwhile)",
                status: "waiting for PostgreSQL to load the saved idempotency keys",
                resumed: "PostgreSQL reachable: loading the saved idempotency keys", logger: logger, attempt)
        } else {
            do {
                loaded = try attempt()
            } catch {
                logger.warning("cannot load the persisted idempotency keys: retries of events counted before the restart may be counted again (dedup.require_saved_ids is false)",
                               metadata: ["error": "\(error)"])
                return
            }
        }
        let elapsed = clock.now - started
        logger.info("idempotency keys loaded", metadata: [
            "dedup.loaded": "\(loaded)", "dedup.loaded_into_every_shard": "\(everyShard)",
            "dedup.load_seconds": "\(elapsed)",
        ])
        Counter(label: "meterd_dedup_loaded_ids_total").increment(by: loaded)
    }
}
