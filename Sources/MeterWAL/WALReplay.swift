/// Start-up replay: every durable entry from a position on, in log order.
extension WriteAheadLog {
    /// Calls `body(lsn, payload)` for every durable entry whose LSN is at least `position`,
    /// oldest first, and returns how many it visited. `position` is a checkpoint: the `end` of
    /// an entry's range (or the log's start). The payload pointer is valid only during the call.
    ///
    /// Meant for start-up, before appending; it reads the segment files again (they were
    /// validated by `init`). A concurrent `release` of the segments it reads makes it throw.
    /// - Throws: `WALError.positionReleased` when `position` is before the oldest retained
    ///   segment, `.positionAhead` when it is beyond the durable end, `.positionNotAtEntry`
    ///   when it falls inside an entry, `.corrupt` if a file changed since it was validated.
    @discardableResult
    public func replay(from position: Int64, _ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let (bases, limit) = lock.withLock { (segmentBases, durableLSN) }
        guard let oldest = bases.first, position >= oldest else {
            throw WALError.positionReleased(oldest: bases.first ?? limit, requested: position)
        }
        guard position <= limit else { throw WALError.positionAhead(walEnd: limit, requested: position) }
        var visited = 0
        var buffer: [UInt8] = []
        for (index, base) in bases.enumerated() {
            let segmentEnd = index + 1 < bases.count ? min(bases[index + 1], limit) : limit
            if segmentEnd <= position || base >= limit { continue }
            let headerEnd = base + Int64(WALFormat.segmentHeaderBytes)
            if position > base && position < headerEnd { throw WALError.positionNotAtEntry(lsn: position) }
            let path = segmentPath(base)
            let size = try WALFileSystem.readWhole(path, into: &buffer)
            try buffer.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<min(size, Int(segmentEnd - base))])
                var offset = WALFormat.segmentHeaderBytes
                while base + Int64(offset) < segmentEnd {
                    let lsn = base + Int64(offset)
                    switch WALFormat.scanEntry(in: bytes, at: offset, lsn: lsn, maxEntryBytes: configuration.maxEntryBytes) {
                    case .entry(let payloadBytes, let total):
                        if lsn >= position {
                            let start = offset + WALFormat.entryHeaderBytes
                            try body(lsn, UnsafeRawBufferPointer(rebasing: bytes[start..<(start + payloadBytes)]))
                            visited += 1
                        } else if lsn + Int64(total) > position {
                            throw WALError.positionNotAtEntry(lsn: position)
                        }
                        offset += total
                    case .end:
                        throw WALError.corrupt(path: path, lsn: lsn, reason: "durable data ends early (file changed since start-up?)")
                    case .invalid(let reason):
                        throw WALError.corrupt(path: path, lsn: lsn, reason: reason)
                    }
                }
            }
        }
        return visited
    }
}
