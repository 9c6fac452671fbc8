import Logging
import MeterWAL
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The daemon's write-ahead log as the shard threads and the flusher use it
/// (docs/durability.md):
///
/// - a shard thread appends each batch it drains as one entry (`append`) before aggregating
///   it, and when it posts a flush round, the position its deltas cover (`coveredPosition`);
/// - the flusher's writer thread waits until the WAL is durable up to the furthest position
///   of a batch before committing it (`waitDurable`), then records the commit (`committed`):
///   the local checkpoint file, and `release` of the segments every shard is past.
///
/// A WAL I/O failure stops the daemon (`failStop`): nothing that was not logged was aggregated,
/// and a restart recovers what is on disk.
public final class ShardLog: Sendable {
    public let wal: WriteAheadLog
    public let checkpointFile: WALCheckpointFile
    let logger: Logger
    let readiness: Readiness?

    private let fullTotal = Counter(label: "meterd_wal_full_total")
    private let appendedGauge = Gauge(label: "meterd_wal_appended_lsn")
    private let durableGauge = Gauge(label: "meterd_wal_durable_lsn")
    private let retainedGauge = Gauge(label: "meterd_wal_retained_bytes")
    private let segmentsGauge = Gauge(label: "meterd_wal_segments")
    private let committedGauge = Gauge(label: "meterd_wal_checkpoint_lsn")
    private let fsyncSeconds = FloatingPointCounter(label: "meterd_wal_fsync_seconds_total")
    private let commits = Counter(label: "meterd_wal_commits_total")
    private let reported = Mutex<(syncNanoseconds: Int64, commits: Int)>((0, 0))
    private let committedCut = Mutex<WALCut?>(nil)

    public init(wal: WriteAheadLog, logger: Logger, readiness: Readiness? = nil) {
        self.wal = wal
        self.logger = logger
        self.readiness = readiness
        checkpointFile = WALCheckpointFile(directory: wal.directory)
    }

    /// Appends one drained batch (its framed records) as one entry, through `scratch` (at least
    /// `WALEntryHeader.bytes` more than the batch). Returns the entry's end, or nil when the
    /// WAL is full (the caller offers the batch again shortly, then refuses it: docs/durability.md).
    public func append(shard: Int, records: UnsafeRawBufferPointer, recordCount: Int,
                       scratch: UnsafeMutableRawBufferPointer) -> Int64? {
        let total = WALEntryHeader.bytes + records.count
        precondition(total <= scratch.count, "WAL scratch buffer smaller than a drained batch")
        WALEntryHeader(shard: shard, recordCount: recordCount).write(to: scratch.baseAddress!)
        if let source = records.baseAddress, records.count > 0 {
            (scratch.baseAddress! + WALEntryHeader.bytes).copyMemory(from: source, byteCount: records.count)
        }
        do {
            switch try wal.append(UnsafeRawBufferPointer(rebasing: scratch[0..<total])) {
            case .appended(let range):
                return range.end
            case .full:
                return nil
            }
        } catch {
            failStop("WAL append failed", error)
        }
    }

    /// A shard refused a drained batch because the WAL stayed full (its events were counted
    /// as `wal_full` refusals): `meterd_wal_full_total`.
    public func countRefusedBatch() {
        fullTotal.increment()
    }

    /// The position a shard's collected deltas cover when it posts a round: the WAL's end
    /// now. Only this shard's thread appends its entries, and it has aggregated every entry
    /// it appended, so each of its entries before this position is in the deltas, and each
    /// later one starts at or after it.
    public func coveredPosition() -> Int64 {
        wal.statistics.appendedLSN
    }

    /// Blocks (writer thread) until the WAL is durable up to `cut`'s furthest position.
    public func waitDurable(_ cut: WALCut) {
        guard let target = cut.maximum else { return }
        do {
            try wal.waitDurable(upTo: target)
        } catch {
            failStop("WAL sync failed before a flush commit", error)
        }
    }

    /// After a commit that covered `cut`: stores the local checkpoint and releases the
    /// segments every shard is past.
    public func committed(_ cut: WALCut) {
        guard let minimum = cut.minimum else { return }
        committedCut.withLock { $0 = cut }
        do {
            try checkpointFile.write(cut)
        } catch {
            // Only start-up speed depends on it (it then reads the database's checkpoint).
            logger.warning("could not write the local WAL checkpoint", metadata: ["error": "\(error)"])
        }
        do {
            try wal.release(upTo: minimum)
        } catch WALError.closed {
        } catch {
            logger.warning("WAL release failed", metadata: ["error": "\(error)"])
        }
    }

    /// Updates the WAL gauges and counters from `statistics` (with the other metrics).
    public func refreshMetrics() {
        let stats = wal.statistics
        appendedGauge.record(Double(stats.appendedLSN))
        durableGauge.record(Double(stats.durableLSN))
        retainedGauge.record(Double(stats.retainedBytes))
        segmentsGauge.record(stats.segments)
        if let minimum = committedCut.withLock({ $0?.minimum }) { committedGauge.record(Double(minimum)) }
        reported.withLock { reported in
            if stats.syncNanoseconds > reported.syncNanoseconds {
                fsyncSeconds.increment(by: Double(stats.syncNanoseconds - reported.syncNanoseconds) / 1e9)
                reported.syncNanoseconds = stats.syncNanoseconds
            }
            if stats.commits > reported.commits {
                commits.increment(by: stats.commits - reported.commits)
                reported.commits = stats.commits
            }
        }
    }

    /// Fail-stop: log, stop answering ready, exit non-zero. systemd restarts meterd and
    /// recovery reads back what is on disk; nothing that was not logged was aggregated.
    public func failStop(_ what: String, _ error: any Error) -> Never {
        readiness?.markFailed()
        logger.critical("\(what); stopping (fail-stop): restart to recover from the WAL", metadata: ["error": "\(error)"])
        fflush(nil)
        _exit(74)  // EX_IOERR
    }
}
