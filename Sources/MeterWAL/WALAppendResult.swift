/// Where one entry lies in the log: `start` is its LSN (the position to replay from to see
/// it), `end` the LSN just past it (the position to checkpoint once it is flushed, and the
/// one to wait for with `waitDurable(upTo:)` before acknowledging it).
public struct WALRange: Sendable, Hashable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }
}

/// The outcome of `WriteAheadLog.append`: the entry's range, or a refusal because the WAL
/// holds `wal.max_bytes` already. A refused entry was not written at all.
public enum WALAppendResult: Sendable, Hashable {
    case appended(WALRange)
    /// Appending would take the retained log beyond `maxBytes`; refuse the event (TCP, HTTP:
    /// answer with an error; UDP: count a drop) until a flush lets `release` remove segments.
    case full(retainedBytes: Int64, maxBytes: Int)
}

/// Counters and positions for /metrics. Read with `WriteAheadLog.statistics`.
public struct WALStatistics: Sendable, Hashable {
    /// End of the log: the next entry's LSN.
    public var appendedLSN: Int64 = 0
    /// Everything before this LSN is on disk (fdatasync returned).
    public var durableLSN: Int64 = 0
    /// Oldest retained LSN (the oldest segment's base).
    public var oldestLSN: Int64 = 0
    /// Retained segments, the active one included.
    public var segments = 0
    /// Entries appended since open.
    public var entries = 0
    /// Appends refused with `.full` since open.
    public var fullRefusals = 0
    /// Group commits (write + fdatasync rounds) since open.
    public var commits = 0
    /// Bytes written by the committer since open.
    public var bytesWritten: Int64 = 0
    /// Time spent in fdatasync since open, and the longest single one.
    public var syncNanoseconds: Int64 = 0
    public var maxSyncNanoseconds: Int64 = 0
    /// True once an I/O error stopped the WAL (fail-stop).
    public var failed = false

    /// Bytes of log retained on disk (logical: preallocation of the active segment not included).
    public var retainedBytes: Int64 { appendedLSN - oldestLSN }
}
