#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The committer thread: the only code that writes segment files after `init`.
///
/// One round: take the filling buffer (swap it with the empty spare, so appenders go on at
/// once), wait for appenders still copying into it, write it (one `pwrite` per segment it
/// touches), `fdatasync`, then publish the new durable LSN and run the callbacks due.
extension WriteAheadLog {
    func startCommitter() {
        let context = Unmanaged.passRetained(self).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let result = pthread_create(&thread, nil, { context in
            let wal = Unmanaged<WriteAheadLog>.fromOpaque(context!).takeRetainedValue()
            wal.runCommitter()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        lock.withLock { committerThread = thread }
    }

    private func runCommitter() {
        lock.lock()
        while true {
            if fill.used == 0 || failure != nil {
                if closing { break }
                lock.wait(committerWake)
                continue
            }
            let urgent = closing || urgentLSN > fill.startLSN || appendersWaitingForSpace > 0
                || fill.used >= configuration.commitBytes
            if !urgent, let first = firstPendingAt {
                let due = first + configuration.commitInterval
                let now = ContinuousClock.now
                if now < due {
                    lock.wait(committerWake, atMost: due - now)
                    continue
                }
            }
            let taken = fill
            fill = spare
            spare = taken
            fill.reset(startLSN: taken.endLSN)
            firstPendingAt = nil
            lock.broadcast(spaceFreed)
            while taken.copying > 0 { lock.wait(committerWake) }
            lock.unlock()

            var syncTime = Duration.zero
            var error: (any Error)?
            do {
                syncTime = try write(taken)
            } catch let caught {
                error = caught
            }

            lock.lock()
            var due: [(lsn: Int64, callback: @Sendable (Result<Int64, WALError>) -> Void)] = []
            let outcome: Result<Int64, WALError>
            if let error {
                let stopped = WALError.failed(cause: "\(error)", durableLSN: durableLSN)
                failure = stopped
                outcome = .failure(stopped)
                due = callbacks
                callbacks.removeAll()
                lock.broadcast(spaceFreed)
            } else {
                durableLSN = taken.endLSN
                outcome = .success(durableLSN)
                stats.commits += 1
                stats.bytesWritten += Int64(taken.used)
                let nanoseconds = Self.nanoseconds(syncTime)
                stats.syncNanoseconds += nanoseconds
                stats.maxSyncNanoseconds = max(stats.maxSyncNanoseconds, nanoseconds)
                if !callbacks.isEmpty {
                    let durable = durableLSN
                    due = callbacks.filter { $0.lsn <= durable }
                    callbacks.removeAll { $0.lsn <= durable }
                }
            }
            lock.broadcast(durableAdvanced)
            if !due.isEmpty {
                lock.unlock()
                for entry in due { entry.callback(outcome) }
                lock.lock()
            }
        }
        committerExited = true
        // Callbacks can only remain when the WAL failed (they were failed above) or was never
        // going to reach their LSN; tell them it is closed.
        let remaining = callbacks
        callbacks.removeAll()
        lock.broadcast(durableAdvanced)
        lock.broadcast(spaceFreed)
        lock.unlock()
        for entry in remaining { entry.callback(.failure(.closed)) }
        if activeFD >= 0 {
            WALFileSystem.closeDescriptor(activeFD)
            activeFD = -1
        }
    }

    /// Writes `buffer` to the segment files, creating the segments that start inside it, and
    /// syncs. Returns the time spent in fdatasync.
    private func write(_ buffer: WALBuffer) throws -> Duration {
        var cursor = buffer.startLSN
        var syncTime = Duration.zero
        let clock = ContinuousClock()
        for base in buffer.newSegmentBases {
            try writeRange(buffer, from: cursor, to: base)
            // Close the full segment: cut its preallocated tail and sync it completely before
            // the next segment exists, so only the last segment can ever have a torn tail.
            let path = segmentPath(activeFDBase)
            guard ftruncate(activeFD, off_t(base - activeFDBase)) == 0 else {
                throw WALError.io(operation: "ftruncate", path: path, errno: errno)
            }
            syncTime += try clock.measure { try WALFileSystem.syncData(activeFD, path: path) }
            WALFileSystem.closeDescriptor(activeFD)
            activeFD = -1
            activeFD = try WALFileSystem.createSegment(
                directory: directory, directoryFD: directoryFD, base: base,
                preallocateBytes: configuration.preallocate ? configuration.segmentBytes : nil)
            activeFDBase = base
            // The header is in the buffer too (it holds every LSN), but createSegment wrote it.
            cursor = base + Int64(WALFormat.segmentHeaderBytes)
        }
        try writeRange(buffer, from: cursor, to: buffer.endLSN)
        let path = segmentPath(activeFDBase)
        syncTime += try clock.measure { try WALFileSystem.syncData(activeFD, path: path) }
        return syncTime
    }

    private func writeRange(_ buffer: WALBuffer, from start: Int64, to end: Int64) throws {
        guard end > start else { return }
        try WALFileSystem.writeAll(activeFD, buffer.storage + Int(start - buffer.startLSN), count: Int(end - start),
                                   at: start - activeFDBase, path: segmentPath(activeFDBase))
    }

    func segmentPath(_ base: Int64) -> String {
        WALFileSystem.join(directory, WALFormat.segmentName(base: base))
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
