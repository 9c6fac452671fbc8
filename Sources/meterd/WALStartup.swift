import ArgumentParser
import Logging
import MeterCore
import MeterIngest
import MeterPostgres
import MeterWAL
import Metrics

#if canImport(Glibc)
import Glibc
#endif

/// Start-up with a data directory (docs/durability.md "Start-up"): opens the WAL in
/// `<data_dir>/wal`, and replays into the aggregators every entry that no commit covers, before
/// the shard threads and the listeners start.
///
/// Whether anything is left is decided from the local checkpoint file alone (it can only lag
/// the database's): if no entry would be replayed against it, meterd starts at once, with
/// PostgreSQL up or down. Otherwise the positions are read from PostgreSQL (waiting, with
/// backoff, while it is unreachable), since replaying against a stale local file would count
/// events a later commit already holds.
enum WALStartup {
    struct Outcome {
        var log: ShardLog
        var replayedEntries = 0
        var replayedEvents = 0
    }

    /// Exit codes: 65 (EX_DATAERR) for a corrupt or foreign WAL, 74 (EX_IOERR) otherwise.
    static func open(dataDirectory: String, configuration: WALConfiguration, engine: MeterEngine,
                     postgresURL: String?, instance: String, schemaOptions: SchemaOptions,
                     readiness: Readiness, logger: Logger) throws -> Outcome {
        let directory = dataDirectory + "/wal"
        let wal: WriteAheadLog
        do {
            wal = try WriteAheadLog(directory: directory, configuration: configuration)
        } catch {
            logger.critical("cannot open the WAL; not starting", metadata: ["wal.directory": "\(directory)", "error": "\(error)"])
            throw ExitCode(exitCode(error))
        }
        let report = wal.recoveryReport
        if let truncation = report.truncation {
            logger.warning("WAL torn tail truncated (never acknowledged as durable)", metadata: [
                "wal.file": "\(truncation.path)", "wal.lsn": "\(truncation.lsn)",
                "wal.discarded_bytes": "\(truncation.discardedBytes)", "reason": "\(truncation.reason)",
            ])
            Counter(label: "meterd_wal_torn_tail_bytes_total").increment(by: truncation.discardedBytes)
        }
        if let removed = report.removedTornSegment {
            logger.warning("WAL segment with a torn header removed", metadata: ["wal.file": "\(removed)"])
        }
        let log = ShardLog(wal: wal, logger: logger, readiness: readiness)
        var outcome = Outcome(log: log)
        do {
            let localFile = log.checkpointFile.read()
            let local = localFile ?? WALCut()
            let oldest = wal.statistics.oldestLSN
            let localFilter = WALReplayFilter(local)
            var pending = 0
            try wal.replay(from: max(localFilter.start, oldest)) { lsn, payload in
                guard let (header, _) = WALEntryHeader.parse(payload) else { return }
                if localFilter.replays(shard: header.shard, lsn: lsn) { pending += 1 }
            }
            guard pending > 0 else {
                if localFile == nil && report.endLSN == 0, let postgresURL {
                    try refuseReplacedDataDirectory(url: postgresURL, instance: instance, schemaOptions: schemaOptions,
                                                    directory: dataDirectory, logger: logger)
                }
                logger.info("WAL opened; nothing to replay", metadata: metadata(report, wal))
                return outcome
            }
            var cut = local
            if let postgresURL {
                cut = WALCut(positions: committedPositions(url: postgresURL, instance: instance,
                                                           schemaOptions: schemaOptions, logger: logger))
            }
            let filter = WALReplayFilter(cut)
            var counts = AggregateCounts()
            var first: Int64?
            var last: Int64 = 0
            try wal.replay(from: max(filter.start, oldest)) { lsn, payload in
                guard let (header, records) = WALEntryHeader.parse(payload), header.version == WALEntryHeader.currentVersion else {
                    throw WALError.corrupt(path: directory, lsn: lsn, reason: "entry header missing or of an unknown version")
                }
                guard filter.replays(shard: header.shard, lsn: lsn) else { return }
                guard engine.replay(framed: records, counts: &counts) else {
                    throw WALError.corrupt(path: directory, lsn: lsn, reason: "malformed records in the entry")
                }
                first = first ?? lsn
                last = lsn
                outcome.replayedEntries += 1
            }
            // Events only: the entries' record counts include sync barrier markers.
            outcome.replayedEvents = counts.accepted + counts.duplicates + counts.refusals.total
            var details = metadata(report, wal)
            details["replay.entries"] = "\(outcome.replayedEntries)"
            details["replay.events"] = "\(outcome.replayedEvents)"
            details["replay.accepted"] = "\(counts.accepted)"
            details["replay.duplicates"] = "\(counts.duplicates)"
            details["replay.first_lsn"] = "\(first.map(String.init) ?? "none")"
            details["replay.last_lsn"] = "\(last)"
            details["replay.checkpoint"] = "\(cut.positions.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))"
            logger.notice("WAL replayed: events no commit covered are back in the aggregators", metadata: details)
            Counter(label: "meterd_wal_replayed_entries_total").increment(by: outcome.replayedEntries)
            Counter(label: "meterd_wal_replayed_events_total").increment(by: outcome.replayedEvents)
            return outcome
        } catch let exit as ExitCode {
            try? wal.close()
            throw exit
        } catch {
            logger.critical("cannot replay the WAL; not starting", metadata: ["wal.directory": "\(directory)", "error": "\(error)"])
            try? wal.close()
            throw ExitCode(exitCode(error))
        }
    }

    /// A new, empty WAL (no entry, no local checkpoint) while PostgreSQL holds WAL positions of
    /// this instance: the data directory was wiped or replaced. Going on would be wrong twice:
    /// the new log's positions restart at 0, so after a crash its entries would compare as
    /// below the old positions and not be replayed (lost), and the new hash seed makes the
    /// saved idempotency keys and set members mean nothing (counted again). So meterd stops
    /// with EX_CONFIG and says what to do (docs/durability.md "Operations").
    ///
    /// One attempt, no wait: by default the saved idempotency keys were just loaded, so
    /// PostgreSQL answers; with `dedup.require_saved_ids: false` a PostgreSQL that is down must
    /// not keep a new data directory from starting (a warning says the check was skipped).
    static func refuseReplacedDataDirectory(url: String, instance: String, schemaOptions: SchemaOptions,
                                            directory: String, logger: Logger) throws {
        let positions: [Int: Int64]
        do {
            positions = try readPositions(url: url, instance: instance, schemaOptions: schemaOptions)
        } catch {
            logger.warning("new data directory: PostgreSQL unreachable, cannot check that it holds no WAL positions of this instance; starting anyway",
                           metadata: ["error": "\(error)"])
            return
        }
        guard let furthest = positions.values.max(), furthest > 0 else { return }
        logger.critical(
            "data_dir holds a new, empty WAL, but PostgreSQL holds WAL positions of this instance (up to \(furthest)): the data directory was wiped or replaced. Restore it, or give this data directory a new instance name (METERD_INSTANCE); not starting",
            metadata: ["data_dir": "\(directory)", "instance": "\(instance)"])
        throw ExitCode(78)  // EX_CONFIG
    }

    private static func metadata(_ report: WALRecoveryReport, _ wal: WriteAheadLog) -> Logger.Metadata {
        [
            "wal.directory": "\(wal.directory)", "wal.segments": "\(report.segmentsFound)",
            "wal.entries": "\(report.entries)", "wal.start_lsn": "\(report.startLSN)", "wal.end_lsn": "\(report.endLSN)",
            "wal.torn_tail_truncated": "\(report.repaired)",
        ]
    }

    private static func exitCode(_ error: any Error) -> Int32 {
        switch error as? WALError {
        case .corrupt, .positionAhead, .positionReleased, .positionNotAtEntry: 65
        default: 74
        }
    }

    /// The per-shard positions PostgreSQL holds for `instance`, waiting while it is
    /// unreachable (`PostgresStartupRetry`).
    static func committedPositions(url: String, instance: String, schemaOptions: SchemaOptions,
                                   logger: Logger) -> [Int: Int64] {
        PostgresStartupRetry.untilDone(
            waiting: "the WAL holds events no local checkpoint covers: waiting for PostgreSQL's checkpoint before replaying (not ready meanwhile)",
            status: "waiting for PostgreSQL to replay the WAL", resumed: "PostgreSQL reachable: replaying the WAL",
            logger: logger
        ) {
            try readPositions(url: url, instance: instance, schemaOptions: schemaOptions)
        }
    }

    /// One attempt: connects, migrates the schema and reads `instance`'s per-shard positions.
    private static func readPositions(url: String, instance: String, schemaOptions: SchemaOptions) throws -> [Int: Int64] {
        let connection = try PostgresConnection(connectionString: url, defaults: CheckpointedRollupWriter.connectionDefaults)
        defer { connection.close() }
        try Migrations.apply(on: connection, options: schemaOptions)
        return try WALCheckpointSQL.positions(on: connection, instance: instance)
    }
}
