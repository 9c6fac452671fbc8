import Testing
@testable import MeterWAL

@Suite("WAL append and replay")
struct RoundTripTests {
    @Test("entries round-trip across segment rollovers, before and after reopening")
    func roundTripAcrossRollovers() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        var written: [(WALRange, [UInt8])] = []
        do {
            let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
            for index in 0..<300 {
                let bytes = payload(index, count: 1 + (index * 37) % 1000)
                written.append((try wal.appendOK(bytes), bytes))
            }
            try wal.sync()
            #expect(wal.statistics.segments > 10)
            let replayed = try wal.entries(from: written[0].0.start)
            #expect(replayed.map(\.lsn) == written.map(\.0.start))
            #expect(replayed.map(\.payload) == written.map(\.1))
            try wal.close()
        }
        #expect(try directory.segmentFiles().count > 10)
        let reopened = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        defer { try? reopened.close() }
        #expect(reopened.recoveryReport.entries == 300)
        #expect(reopened.recoveryReport.truncation == nil)
        #expect(reopened.recoveryReport.endLSN == written.last!.0.end)
        let replayed = try reopened.entries(from: written[0].0.start)
        #expect(replayed.map(\.lsn) == written.map(\.0.start))
        #expect(replayed.map(\.payload) == written.map(\.1))
    }

    @Test("ranges are contiguous and a reopened WAL continues after the last entry")
    func reopenContinues() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        let first = try wal.appendOK(payload(1, count: 10))
        #expect(first.start == Int64(WALFormat.segmentHeaderBytes))
        #expect(first.end == first.start + Int64(WALFormat.entryBytes(payloadBytes: 10)))
        let second = try wal.appendOK(payload(2, count: 100))
        #expect(second.start == first.end)
        try wal.sync()
        try wal.close()
        #expect(throws: WALError.closed) { try wal.appendOK(payload(3, count: 1)) }

        let reopened = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        #expect(reopened.recoveryReport.endLSN == second.end)
        let third = try reopened.appendOK(payload(3, count: 5))
        // A new segment starts at the old end: its header, then the entry.
        #expect(third.start == second.end + Int64(WALFormat.segmentHeaderBytes))
        try reopened.sync()
        #expect(try reopened.entries(from: second.end).map(\.payload) == [payload(3, count: 5)])
        #expect(try reopened.entries(from: 0).count == 3)
        try reopened.close()
        #expect(try directory.segmentFiles() == [WALFormat.segmentName(base: 0), WALFormat.segmentName(base: second.end)])
    }

    @Test("replay from a checkpoint visits only later entries; bad positions are refused")
    func replayPositions() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        defer { try? wal.close() }
        let ranges = try (0..<50).map { try wal.appendOK(payload($0, count: 200)) }
        try wal.sync()
        #expect(try wal.entries(from: ranges[20].end).map(\.lsn) == ranges[21...].map(\.start))
        #expect(try wal.entries(from: ranges.last!.end).isEmpty)
        #expect(throws: WALError.positionNotAtEntry(lsn: ranges[3].start + 8)) {
            try wal.replay(from: ranges[3].start + 8) { _, _ in }
        }
        #expect(throws: WALError.positionAhead(walEnd: ranges.last!.end, requested: ranges.last!.end + 8)) {
            try wal.replay(from: ranges.last!.end + 8) { _, _ in }
        }
    }

    @Test("an empty directory starts at the given position; a log behind it is refused")
    func startPosition() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(), startPosition: 1_000_000)
        #expect(wal.recoveryReport.endLSN == 1_000_000)
        let range = try wal.appendOK(payload(1, count: 64))
        #expect(range.start == 1_000_000 + Int64(WALFormat.segmentHeaderBytes))
        try wal.sync()
        try wal.close()
        #expect(try directory.segmentFiles() == [WALFormat.segmentName(base: 1_000_000)])

        // The same start (or one behind the log) is fine; one beyond its end is not.
        let again = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(), startPosition: range.end)
        #expect(try again.entries(from: 1_000_000).map(\.payload) == [payload(1, count: 64)])
        try again.close()
        #expect(throws: WALError.positionAhead(walEnd: range.end, requested: range.end + 4096)) {
            _ = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(), startPosition: range.end + 4096)
        }
    }

    @Test("entry sizes outside 1...max_entry_bytes are refused; a second writer on the directory is refused")
    func sizesAndLock() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        defer { try? wal.close() }
        #expect(throws: WALError.entrySize(bytes: 0, max: 1024)) { _ = try wal.appendOK([]) }
        #expect(throws: WALError.entrySize(bytes: 1025, max: 1024)) { _ = try wal.appendOK(payload(0, count: 1025)) }
        _ = try wal.appendOK(payload(0, count: 1024))
        #expect(throws: WALError.self) {
            _ = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        }
        #expect(throws: WALError.self) {
            _ = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration(segmentBytes: 1000))
        }
    }

    @Test("whenDurable calls back once the entry is durable, and at once when it already is")
    func durableCallback() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path,
                                    configuration: smallConfiguration(commitInterval: .milliseconds(20)))
        defer { try? wal.close() }
        let range = try wal.appendOK(payload(0, count: 300))
        let signal = Signal()
        wal.whenDurable(range.end) { result in signal.fire(result) }
        let result = try signal.wait()
        #expect(try result.get() >= range.end)
        #expect(wal.durablePosition >= range.end)
        wal.whenDurable(range.end) { result in signal.fire(result) }
        #expect(try signal.wait().get() >= range.end)
    }

    @Test("durable(upTo:) suspends until the entry is durable")
    func asyncDurable() async throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        defer { try? wal.close() }
        let ranges = try (0..<20).map { try wal.appendOK(payload($0, count: 100)) }
        let durable = try await wal.durable(upTo: ranges.last!.end)
        #expect(durable >= ranges.last!.end)
        await #expect(throws: WALError.positionAhead(walEnd: ranges.last!.end, requested: ranges.last!.end + 1)) {
            try await wal.durable(upTo: ranges.last!.end + 1)
        }
    }
}
