#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The write-ahead log: segmented files of checksummed entries in one directory, appended by
/// any number of threads and made durable by group commit (docs/wal.md).
///
/// - `append` copies an entry into an in-memory buffer and returns its LSN range at once
///   (or `.full`); it never touches the disk.
/// - A dedicated committer thread writes the buffer with one `pwrite` per segment and one
///   `fdatasync`, when `commitBytes` are pending, when the oldest pending entry has waited
///   `commitInterval`, or at once on `sync()`. Only after fdatasync returns does `durableLSN`
///   move; `waitDurable(upTo:)` (blocking) and `whenDurable(_:_:)` (callback on the committer
///   thread) tell appenders when their entry is safe to acknowledge.
/// - A failed write or fdatasync stops the WAL for good (fail-stop): every waiter and every
///   later call gets `WALError.failed`, because after a failed fsync the kernel may have
///   dropped the dirty pages, and retrying would report data as safe that is not.
///
/// Call `close()` when done: the committer thread keeps the WAL alive until then.
public final class WriteAheadLog: @unchecked Sendable {
    public let directory: String
    public let configuration: WALConfiguration
    /// What start-up found and repaired.
    public let recoveryReport: WALRecoveryReport

    // Set in init, then owned by the committer thread (and by `close` after it has exited).
    var directoryFD: Int32
    var activeFD: Int32
    var activeFDBase: Int64
    var committerThread: pthread_t?

    // Everything below is guarded by `lock`.
    let lock = WALLock()
    let committerWake: WALLock.Condition
    let durableAdvanced: WALLock.Condition
    let spaceFreed: WALLock.Condition
    var fill: WALBuffer
    var spare: WALBuffer
    var appendedLSN: Int64
    var durableLSN: Int64
    var activeBase: Int64
    var segmentBases: [Int64]
    var failure: WALError?
    var closing = false
    var committerExited = false
    /// The committer commits at once while this is beyond what it has taken (`sync()`).
    var urgentLSN: Int64 = 0
    var firstPendingAt: ContinuousClock.Instant?
    var appendersWaitingForSpace = 0
    var callbacks: [(lsn: Int64, callback: @Sendable (Result<Int64, WALError>) -> Void)] = []
    var stats = WALStatistics()

    /// Opens (creating it if needed) the WAL in `directory`: recovers what is there (see
    /// `WALRecovery`), starts a new segment at the end of valid data, and starts the committer.
    ///
    /// - Parameter startPosition: the position the caller needs the log to reach, typically
    ///   PostgreSQL's checkpoint. An empty directory starts there (positions never go back);
    ///   a non-empty log that ends before it throws `WALError.positionAhead`.
    /// - Throws: `WALError.corrupt` for corruption that is not a torn tail, `.io` for system
    ///   call failures, `.invalidConfiguration`, or `.io(operation: "lock", ...)` when another
    ///   process has the directory open.
    public init(directory: String, configuration: WALConfiguration = WALConfiguration(), startPosition: Int64? = nil) throws {
        if let problem = configuration.problem { throw WALError.invalidConfiguration(problem) }
        if let startPosition, startPosition < 0 { throw WALError.invalidConfiguration("start position \(startPosition) is negative") }
        self.directory = directory
        self.configuration = configuration
        try WALFileSystem.makeDirectories(directory)
        directoryFD = try WALFileSystem.openDirectory(directory)
        do {
            // One process per directory: a second writer would interleave segments.
            guard flock(directoryFD, LOCK_EX | LOCK_NB) == 0 else {
                throw WALError.io(operation: "lock (is another meterd using this WAL directory?)", path: directory, errno: errno)
            }
            let recovered = try WALRecovery(directory: directory, maxEntryBytes: configuration.maxEntryBytes)
                .run(startPosition: startPosition)
            recoveryReport = recovered.report
            let base = recovered.endLSN
            activeFD = try WALFileSystem.createSegment(
                directory: directory, directoryFD: directoryFD, base: base,
                preallocateBytes: configuration.preallocate ? configuration.segmentBytes : nil)
            activeFDBase = base
            activeBase = base
            segmentBases = recovered.segmentBases + [base]
            appendedLSN = base + Int64(WALFormat.segmentHeaderBytes)
            durableLSN = appendedLSN
        } catch {
            WALFileSystem.closeDescriptor(directoryFD)
            throw error
        }
        fill = WALBuffer(capacity: configuration.bufferBytes)
        spare = WALBuffer(capacity: configuration.bufferBytes)
        fill.reset(startLSN: appendedLSN)
        spare.reset(startLSN: appendedLSN)
        committerWake = lock.makeCondition()
        durableAdvanced = lock.makeCondition()
        spaceFreed = lock.makeCondition()
        startCommitter()
    }

    deinit {
        // Only reached after `close()` (the committer holds a reference until it exits).
        if activeFD >= 0 { WALFileSystem.closeDescriptor(activeFD) }
        if directoryFD >= 0 { WALFileSystem.closeDescriptor(directoryFD) }
    }

    /// Appends one entry (opaque bytes, 1 ... `maxEntryBytes`). Returns its range, or `.full`
    /// when the retained log would exceed `maxBytes` (nothing is written then). The entry is
    /// durable only once `durableLSN >= range.end`: wait for that before acknowledging it.
    ///
    /// Blocks only when both write buffers are full (the disk is behind), until the committer
    /// frees one. Thread-safe; the lock is held to reserve space, not to copy the payload.
    public func append(_ payload: UnsafeRawBufferPointer) throws -> WALAppendResult {
        let count = payload.count
        guard count >= 1, count <= configuration.maxEntryBytes else {
            throw WALError.entrySize(bytes: count, max: configuration.maxEntryBytes)
        }
        let entryBytes = WALFormat.entryBytes(payloadBytes: count)
        let payloadCRC = CRC32C.checksum(payload)

        lock.lock()
        var rollover = false
        while true {
            if let failure {
                lock.unlock()
                throw failure
            }
            if closing {
                lock.unlock()
                throw WALError.closed
            }
            rollover = appendedLSN - activeBase + Int64(entryBytes) > Int64(configuration.segmentBytes)
            let needed = entryBytes + (rollover ? WALFormat.segmentHeaderBytes : 0)
            let retained = appendedLSN - segmentBases[0]
            if retained + Int64(needed) > Int64(configuration.maxBytes) {
                stats.fullRefusals += 1
                lock.unlock()
                return .full(retainedBytes: retained, maxBytes: configuration.maxBytes)
            }
            if fill.free >= needed { break }
            appendersWaitingForSpace += 1
            lock.signal(committerWake)
            lock.wait(spaceFreed)
            appendersWaitingForSpace -= 1
        }
        let buffer = fill
        let wasEmpty = buffer.used == 0
        if rollover {
            WALFormat.writeSegmentHeader(base: appendedLSN, to: buffer.storage + buffer.used)
            buffer.newSegmentBases.append(appendedLSN)
            segmentBases.append(appendedLSN)
            activeBase = appendedLSN
            buffer.used += WALFormat.segmentHeaderBytes
            appendedLSN += Int64(WALFormat.segmentHeaderBytes)
        }
        let lsn = appendedLSN
        let destination = buffer.storage + buffer.used
        buffer.used += entryBytes
        buffer.copying += 1
        appendedLSN += Int64(entryBytes)
        stats.entries += 1
        if wasEmpty {
            firstPendingAt = .now
            lock.signal(committerWake)
        } else if buffer.used >= configuration.commitBytes && buffer.used - entryBytes < configuration.commitBytes {
            lock.signal(committerWake)
        }
        lock.unlock()

        WALFormat.writeEntry(payload, lsn: lsn, payloadCRC: payloadCRC, to: destination)

        lock.lock()
        buffer.copying -= 1
        if buffer.copying == 0 && buffer !== fill { lock.signal(committerWake) }
        lock.unlock()
        return .appended(WALRange(start: lsn, end: lsn + Int64(entryBytes)))
    }

    /// Blocks the calling thread until everything before `lsn` is durable. Throws
    /// `WALError.failed` if the WAL stopped first, `.closed` if it was closed first.
    /// Do not call it on a SwiftNIO event loop or in the cooperative pool: use `whenDurable`.
    public func waitDurable(upTo lsn: Int64) throws {
        lock.lock()
        defer { lock.unlock() }
        while durableLSN < lsn {
            if let failure { throw failure }
            if lsn > appendedLSN { throw WALError.positionAhead(walEnd: appendedLSN, requested: lsn) }
            if committerExited { throw WALError.closed }
            lock.wait(durableAdvanced)
        }
    }

    /// Calls `callback` once everything before `lsn` is durable, with the durable LSN, or with
    /// the error that stopped the WAL. Runs on the committer thread (or at once on the calling
    /// thread when `lsn` is already durable): keep it short, e.g. complete a promise.
    public func whenDurable(_ lsn: Int64, _ callback: @escaping @Sendable (Result<Int64, WALError>) -> Void) {
        lock.lock()
        let outcome: Result<Int64, WALError>?
        if durableLSN >= lsn {
            outcome = .success(durableLSN)
        } else if let failure {
            outcome = .failure(failure)
        } else if lsn > appendedLSN {
            outcome = .failure(.positionAhead(walEnd: appendedLSN, requested: lsn))
        } else if committerExited {
            outcome = .failure(.closed)
        } else {
            callbacks.append((lsn, callback))
            outcome = nil
        }
        lock.unlock()
        if let outcome { callback(outcome) }
    }

    /// Commits everything appended so far at once (without waiting for the commit interval)
    /// and blocks until it is durable. Returns the durable LSN.
    @discardableResult
    public func sync() throws -> Int64 {
        lock.lock()
        let target = appendedLSN
        if urgentLSN < target { urgentLSN = target }
        lock.signal(committerWake)
        lock.unlock()
        try waitDurable(upTo: target)
        return target
    }

    /// Everything before this LSN is on disk.
    public var durablePosition: Int64 { lock.withLock { durableLSN } }

    public var statistics: WALStatistics {
        lock.withLock {
            var snapshot = stats
            snapshot.appendedLSN = appendedLSN
            snapshot.durableLSN = durableLSN
            snapshot.oldestLSN = segmentBases[0]
            snapshot.segments = segmentBases.count
            snapshot.failed = failure != nil
            return snapshot
        }
    }

    /// Deletes every segment that lies entirely before `lsn` (a flushed checkpoint), never the
    /// active one and never beyond the durable position. Returns how many were removed.
    @discardableResult
    public func release(upTo lsn: Int64) throws -> Int {
        let removed: [Int64] = try lock.withLock {
            if closing { throw WALError.closed }
            let limit = min(lsn, durableLSN)
            var removed: [Int64] = []
            while segmentBases.count >= 2 && segmentBases[1] <= limit {
                removed.append(segmentBases.removeFirst())
            }
            return removed
        }
        guard !removed.isEmpty else { return 0 }
        for base in removed {
            try WALFileSystem.remove(WALFileSystem.join(directory, WALFormat.segmentName(base: base)))
        }
        try WALFileSystem.syncAll(directoryFD, path: directory)
        return removed.count
    }

    /// Commits what is pending, stops the committer and closes the files. Later calls throw
    /// `.closed`. Throws the WAL's failure if it had stopped.
    public func close() throws {
        lock.lock()
        closing = true
        lock.signal(committerWake)
        while !committerExited { lock.wait(durableAdvanced) }
        let failure = self.failure
        let thread = committerThread
        committerThread = nil
        lock.unlock()
        if let thread {
            pthread_join(thread, nil)
            // Closing the directory also drops the flock, so the directory can be opened again.
            if directoryFD >= 0 { WALFileSystem.closeDescriptor(directoryFD) }
            directoryFD = -1
        }
        if let failure { throw failure }
    }
}
