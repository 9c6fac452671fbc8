/// Start-up scan of a WAL directory: validates every segment header and entry checksum, finds
/// the end of valid data, and repairs a torn tail of the last segment (docs/wal.md, "Recovery").
///
/// - Last segment: the first invalid entry (or zero header) ends the log. Anything non-zero
///   after it is a torn tail from a crash mid-write: it was never reported durable (the
///   segment is synced only after it is written), so it is cut off and reported.
/// - Any other segment: it was synced in full before the next segment was created, so an
///   invalid entry there, or a segment whose base does not equal the previous one's end, is
///   corruption of acknowledged data: `WALError.corrupt`, never a silent truncation.
struct WALRecovery {
    struct Result {
        /// Base LSNs of the retained segments, oldest first (a torn last segment is gone).
        var segmentBases: [Int64]
        /// End of valid data: where the next segment starts.
        var endLSN: Int64
        var report: WALRecoveryReport
    }

    let directory: String
    let maxEntryBytes: Int

    func run(startPosition: Int64?) throws -> Result {
        let bases = try WALFileSystem.list(directory).compactMap(WALFormat.segmentBase(fromName:)).sorted()
        var report = WALRecoveryReport()
        report.segmentsFound = bases.count
        var retained: [Int64] = []
        var end: Int64 = bases.first ?? (startPosition ?? 0)
        var buffer: [UInt8] = []

        for (index, base) in bases.enumerated() {
            let path = WALFileSystem.join(directory, WALFormat.segmentName(base: base))
            let isLast = index == bases.count - 1
            if index > 0 && base != end {
                throw WALError.corrupt(path: path, lsn: end,
                                       reason: "segment starts at LSN \(base) but the previous segment ends at LSN \(end)")
            }
            let size = try WALFileSystem.readWhole(path, into: &buffer)
            let scan = try buffer.withUnsafeBytes { raw -> (valid: Int, entries: Int, problem: String?, tail: Int)? in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<size])
                if let problem = WALFormat.segmentHeaderProblem(bytes, base: base) {
                    let rest = size > WALFormat.segmentHeaderBytes ? UnsafeRawBufferPointer(rebasing: bytes[WALFormat.segmentHeaderBytes...]) : UnsafeRawBufferPointer(start: nil, count: 0)
                    guard isLast, WALFormat.isZero(rest) else {
                        throw WALError.corrupt(path: path, lsn: base, reason: problem)
                    }
                    return nil
                }
                var offset = WALFormat.segmentHeaderBytes
                var entries = 0
                var problem: String?
                scanning: while true {
                    switch WALFormat.scanEntry(in: bytes, at: offset, lsn: base + Int64(offset), maxEntryBytes: maxEntryBytes) {
                    case .entry(_, let total):
                        offset += total
                        entries += 1
                    case .end:
                        break scanning
                    case .invalid(let reason):
                        problem = reason
                        break scanning
                    }
                }
                if !isLast, let problem {
                    throw WALError.corrupt(path: path, lsn: base + Int64(offset), reason: problem)
                }
                return (offset, entries, problem, lastNonZero(bytes, from: offset))
            }
            guard let scan else {
                // A last segment torn while being created: nothing but zeros after its header.
                try WALFileSystem.remove(path)
                report.removedTornSegment = path
                end = base
                continue
            }
            report.entries += scan.entries
            end = base + Int64(scan.valid)
            if isLast && scan.entries == 0 {
                // No entry in the last segment: remove it, so the new segment the writer
                // creates takes its base and the chain of bases stays unbroken.
                if scan.tail > scan.valid {
                    report.truncation = .init(path: path, lsn: end, discardedBytes: scan.tail - scan.valid,
                                              reason: scan.problem ?? "non-zero bytes after a zero entry header")
                }
                try WALFileSystem.remove(path)
                end = base
                continue
            }
            retained.append(base)
            if isLast {
                if scan.tail > scan.valid {
                    report.truncation = .init(path: path, lsn: end, discardedBytes: scan.tail - scan.valid,
                                              reason: scan.problem ?? "non-zero bytes after a zero entry header")
                }
                // Cut the torn tail and any preallocated space, and make it durable, before a
                // newer segment exists (which would make this one a "non-last" segment).
                if size != scan.valid { try WALFileSystem.truncate(path, to: scan.valid) }
            }
        }
        if retained.isEmpty, let startPosition, startPosition > end {
            end = startPosition
        }
        if let startPosition, startPosition > end {
            throw WALError.positionAhead(walEnd: end, requested: startPosition)
        }
        report.startLSN = retained.first ?? end
        report.endLSN = end
        return Result(segmentBases: retained, endLSN: end, report: report)
    }

    /// One past the last non-zero byte at or after `offset`, or `offset` when all are zero.
    private func lastNonZero(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int {
        var index = bytes.count
        // Eight bytes at a time over the (usually preallocated, all-zero) rest of the segment.
        while index - 8 >= offset && bytes.loadUnaligned(fromByteOffset: index - 8, as: UInt64.self) == 0 {
            index -= 8
        }
        while index > offset && bytes[index - 1] == 0 { index -= 1 }
        return index
    }
}
