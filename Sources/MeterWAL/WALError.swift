/// Every way the WAL fails. The messages name the file and position involved, for the log.
public enum WALError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration cannot work (see `WALConfiguration.problem`).
    case invalidConfiguration(String)
    /// A system call failed; `operation` names it and the file.
    case io(operation: String, path: String, errno: Int32)
    /// A write or sync failed earlier: the WAL is stopped for good (fail-stop) because the
    /// kernel may have dropped the unsynced pages; nothing after `durableLSN` is safe. Restart
    /// the daemon: recovery reads back what really is on disk.
    case failed(cause: String, durableLSN: Int64)
    /// Corruption that is not a torn tail: a bad entry or header in a segment that is not
    /// the last one, or segments that do not chain. Acknowledged data may be lost; the
    /// daemon must not start over it silently.
    case corrupt(path: String, lsn: Int64, reason: String)
    /// The directory holds a log that ends before the position the caller needs (for
    /// example PostgreSQL's checkpoint): the WAL was replaced or truncated.
    case positionAhead(walEnd: Int64, requested: Int64)
    /// A replay position before the oldest retained segment (that data was released).
    case positionReleased(oldest: Int64, requested: Int64)
    /// A replay position that is not the start of an entry.
    case positionNotAtEntry(lsn: Int64)
    /// An append larger than `wal.max_entry_bytes`, or empty.
    case entrySize(bytes: Int, max: Int)
    /// The WAL was closed.
    case closed

    public var description: String {
        switch self {
        case .invalidConfiguration(let problem):
            "invalid WAL configuration: \(problem)"
        case .io(let operation, let path, let errno):
            "WAL \(operation) failed on \(path): errno \(errno) (\(errnoName(errno)))"
        case .failed(let cause, let durableLSN):
            "WAL stopped after an I/O failure (\(cause)); nothing after LSN \(durableLSN) is durable; restart to recover"
        case .corrupt(let path, let lsn, let reason):
            "WAL corrupt in \(path) at LSN \(lsn): \(reason) (not a torn tail: acknowledged data may be lost)"
        case .positionAhead(let walEnd, let requested):
            "WAL ends at LSN \(walEnd), before the required position \(requested): the log was replaced or truncated"
        case .positionReleased(let oldest, let requested):
            "WAL position \(requested) was released (oldest retained LSN \(oldest))"
        case .positionNotAtEntry(let lsn):
            "WAL position \(lsn) is not the start of an entry"
        case .entrySize(let bytes, let max):
            "WAL entry of \(bytes) bytes outside 1...\(max) (wal.max_entry_bytes)"
        case .closed:
            "WAL closed"
        }
    }
}

private func errnoName(_ code: Int32) -> String {
    switch code {
    case 5: "EIO"
    case 28: "ENOSPC"
    case 13: "EACCES"
    case 2: "ENOENT"
    case 17: "EEXIST"
    case 30: "EROFS"
    case 27: "EFBIG"
    case 122: "EDQUOT"
    default: "see errno(3)"
    }
}
