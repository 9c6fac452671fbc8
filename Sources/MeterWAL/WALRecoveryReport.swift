/// What `WriteAheadLog.open` found and repaired, for the daemon to log and count
/// (`meterd_wal_torn_tail_bytes_total` and friends, once integrated).
public struct WALRecoveryReport: Sendable, Hashable {
    /// A torn or corrupt tail cut off the last segment.
    public struct Truncation: Sendable, Hashable {
        /// The segment file that was truncated.
        public var path: String
        /// Where valid data ends; the log continues here.
        public var lsn: Int64
        /// Bytes discarded: from `lsn` to the last non-zero byte of the file.
        public var discardedBytes: Int
        /// What was found at `lsn` (for the log line).
        public var reason: String
    }

    /// Segment files found at start-up (before any repair).
    public var segmentsFound = 0
    /// Valid entries in them.
    public var entries = 0
    /// Oldest retained LSN (the first segment's base).
    public var startLSN: Int64 = 0
    /// Where appends continue (end of valid data).
    public var endLSN: Int64 = 0
    /// The torn or corrupt tail that was truncated, if any.
    public var truncation: Truncation?
    /// A last segment whose header was torn while it was being created (nothing but zeros
    /// after it), removed; such a segment can hold no acknowledged data.
    public var removedTornSegment: String?

    /// True when recovery had to discard anything.
    public var repaired: Bool { truncation != nil || removedTornSegment != nil }
}
