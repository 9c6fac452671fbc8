/// The WAL's limits and group-commit settings (config keys `wal.*`, config/limits.md).
public struct WALConfiguration: Sendable, Hashable {
    /// `wal.segment_bytes`: a segment is closed and a new one started when the next entry
    /// would not fit. Also the unit of release: a segment is deleted only whole.
    public var segmentBytes: Int
    /// `wal.max_bytes`: bytes of log retained (from the oldest segment's base to the end);
    /// an append that would go beyond is refused with `.full`.
    public var maxBytes: Int
    /// `wal.commit_interval_ms`: the longest an appended entry waits before the committer
    /// writes and syncs it (0: as soon as the committer is free).
    public var commitInterval: Duration
    /// `wal.commit_bytes`: the committer starts at once when this many bytes are pending.
    public var commitBytes: Int
    /// `wal.max_entry_bytes`: the largest payload one append takes.
    public var maxEntryBytes: Int
    /// Preallocate each new segment to `segmentBytes` (posix_fallocate), so appends do not
    /// change the file size and fdatasync need not write the inode's size every time.
    public var preallocate: Bool

    public static let defaultSegmentBytes = 64 << 20
    public static let defaultMaxBytes = 4 << 30
    public static let defaultCommitInterval = Duration.milliseconds(2)
    public static let defaultCommitBytes = 1 << 20
    public static let defaultMaxEntryBytes = 1 << 20

    public init(segmentBytes: Int = defaultSegmentBytes, maxBytes: Int = defaultMaxBytes,
                commitInterval: Duration = defaultCommitInterval, commitBytes: Int = defaultCommitBytes,
                maxEntryBytes: Int = defaultMaxEntryBytes, preallocate: Bool = true) {
        self.segmentBytes = segmentBytes
        self.maxBytes = maxBytes
        self.commitInterval = commitInterval
        self.commitBytes = commitBytes
        self.maxEntryBytes = maxEntryBytes
        self.preallocate = preallocate
    }

    /// Bytes of one in-memory write buffer (there are two: appenders fill one while the
    /// committer writes the other). Large enough for several commits' worth and for the
    /// largest entry, so appenders wait for buffer space only when the disk falls behind.
    public var bufferBytes: Int {
        max(8 << 20, 4 * commitBytes, 2 * WALFormat.entryBytes(payloadBytes: maxEntryBytes) + WALFormat.segmentHeaderBytes)
    }

    /// Why the settings cannot work, or nil when they can.
    public var problem: String? {
        let largestEntry = WALFormat.entryBytes(payloadBytes: maxEntryBytes)
        if maxEntryBytes < 1 || maxEntryBytes > Int(UInt32.max) - 64 { return "wal.max_entry_bytes must be between 1 and 4 GiB" }
        if segmentBytes < WALFormat.segmentHeaderBytes + largestEntry {
            return "wal.segment_bytes (\(segmentBytes)) must hold the segment header and the largest entry (\(largestEntry) bytes)"
        }
        if maxBytes < 2 * segmentBytes { return "wal.max_bytes (\(maxBytes)) must be at least twice wal.segment_bytes (\(segmentBytes))" }
        if commitBytes < 1 { return "wal.commit_bytes must be positive" }
        if commitInterval < .zero { return "wal.commit_interval_ms must not be negative" }
        return nil
    }
}
