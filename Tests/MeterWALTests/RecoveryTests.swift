import Testing
@testable import MeterWAL

/// Writes `count` entries of `size` bytes into a fresh WAL (one segment), closes it, and
/// returns the directory, the ranges and the segment file's name.
private func writeLog(count: Int, size: Int, label: String = #function) throws -> (TempDirectory, [WALRange], String) {
    let directory = TempDirectory(label)
    let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
    let ranges = try (0..<count).map { try wal.appendOK(payload($0, count: size)) }
    try wal.sync()
    try wal.close()
    return (directory, ranges, WALFormat.segmentName(base: 0))
}

@Suite("WAL recovery")
struct RecoveryTests {
    @Test("a tail torn at every byte of the last entry recovers exactly the entries before it")
    func tornTailAtEveryOffset() throws {
        let (original, ranges, segment) = try writeLog(count: 5, size: 61)
        defer { original.remove() }
        let last = ranges.last!
        for length in Int(last.start)..<Int(last.end) {
            let directory = try original.copy("torn\(length)")
            defer { directory.remove() }
            try truncateFile(directory.file(segment), to: length)
            let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
            let report = wal.recoveryReport
            #expect(report.endLSN == last.start, "cut at \(length)")
            #expect(report.entries == 4)
            if length > Int(last.start) {
                #expect(report.truncation?.lsn == last.start, "cut at \(length)")
                #expect(report.truncation?.discardedBytes ?? 0 > 0)
            } else {
                #expect(report.truncation == nil)
            }
            #expect(try wal.entries(from: 0).map(\.payload) == (0..<4).map { payload($0, count: 61) })
            // Appends continue after the complete entries and survive another reopen.
            let next = try wal.appendOK(payload(99, count: 10))
            try wal.sync()
            try wal.close()
            let reopened = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
            #expect(reopened.recoveryReport.truncation == nil)
            #expect(try reopened.entries(from: last.start).map(\.lsn) == [next.start])
            try reopened.close()
        }
    }

    @Test("a torn write that left zeros in the middle and bytes after them is cut at the zeros")
    func zeroHoleBeforeLaterBytes() throws {
        let (directory, ranges, segment) = try writeLog(count: 4, size: 200)
        defer { directory.remove() }
        // Zero the header of entry 2 (a page that never reached the disk); entry 3 stays.
        for offset in Int(ranges[2].start)..<Int(ranges[2].start) + WALFormat.entryHeaderBytes {
            let byte = try readByte(directory.file(segment), at: offset)
            try patch(directory.file(segment), at: offset, xor: byte)
        }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
        defer { try? wal.close() }
        #expect(wal.recoveryReport.truncation?.lsn == ranges[2].start)
        // From the zeroed header to the end of entry 3 (give or take its last payload bytes, which may be zero).
        #expect(wal.recoveryReport.truncation?.discardedBytes ?? 0 > Int(ranges[3].start - ranges[2].start))
        #expect(try wal.entries(from: 0).count == 2)
    }

    @Test("a flipped byte in the last entry's header or payload is detected and truncated", arguments: [0, 4, 8, 12, 16, 40, 76])
    func flippedByteInLastEntry(offsetInEntry: Int) throws {
        let (directory, ranges, segment) = try writeLog(count: 3, size: 61)
        defer { directory.remove() }
        try patch(directory.file(segment), at: Int(ranges[2].start) + offsetInEntry, xor: 0x10)
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
        defer { try? wal.close() }
        let truncation = try #require(wal.recoveryReport.truncation)
        #expect(truncation.lsn == ranges[2].start)
        #expect(truncation.path.hasSuffix(segment))
        #expect(try wal.entries(from: 0).map(\.payload) == (0..<2).map { payload($0, count: 61) })
    }

    @Test("corruption in a segment that is not the last is a hard error")
    func corruptionInEarlierSegment() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        let ranges = try (0..<40).map { try wal.appendOK(payload($0, count: 500)) }
        try wal.sync()
        try wal.close()
        let segments = try directory.segmentFiles()
        #expect(segments.count > 3)
        // Second entry of the second segment, payload byte.
        let base = try #require(WALFormat.segmentBase(fromName: segments[1]))
        let victim = try #require(ranges.filter { $0.start > base }.dropFirst().first)
        try patch(directory.file(segments[1]), at: Int(victim.start - base) + 20, xor: 0x01)
        #expect(throws: WALError.corrupt(path: directory.file(segments[1]), lsn: victim.start,
                                         reason: "entry payload checksum mismatch")) {
            _ = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        }
        // A missing middle segment is a hard error too.
        try patch(directory.file(segments[1]), at: Int(victim.start - base) + 20, xor: 0x01)
        try FileManagerRemove(directory.file(segments[2]))
        #expect(throws: WALError.self) {
            _ = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        }
    }

    @Test("a last segment torn while being created (zeros only) is removed and reported")
    func tornSegmentCreation() throws {
        let (directory, ranges, _) = try writeLog(count: 2, size: 100)
        defer { directory.remove() }
        let name = WALFormat.segmentName(base: ranges[1].end)
        try writeZeros(directory.file(name), count: 4096)
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
        defer { try? wal.close() }
        #expect(wal.recoveryReport.removedTornSegment == directory.file(name))
        #expect(wal.recoveryReport.endLSN == ranges[1].end)
        #expect(try wal.entries(from: 0).count == 2)
    }

    @Test("a last segment with a bad header but data after it is a hard error")
    func badHeaderWithData() throws {
        let (directory, _, segment) = try writeLog(count: 2, size: 100)
        defer { directory.remove() }
        try patch(directory.file(segment), at: 3, xor: 0xFF)
        #expect(throws: WALError.corrupt(path: directory.file(segment), lsn: 0, reason: "bad segment magic")) {
            _ = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1 << 16))
        }
    }
}
