import Testing
@testable import MeterWAL

@Suite("WAL release and size bound")
struct ReleaseTests {
    @Test("release removes only segments entirely below the position, never the active one")
    func releaseRemovesCoveredSegments() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let wal = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        defer { try? wal.close() }
        let ranges = try (0..<40).map { try wal.appendOK(payload($0, count: 500)) }
        try wal.sync()
        let before = try directory.segmentFiles().compactMap(WALFormat.segmentBase(fromName:))
        #expect(before.count >= 5)

        // A position inside segment 2 removes segments 0 and 1 only.
        #expect(try wal.release(upTo: before[2] + 100) == 2)
        #expect(try directory.segmentFiles().compactMap(WALFormat.segmentBase(fromName:)) == Array(before[2...]))
        #expect(wal.statistics.oldestLSN == before[2])
        // Releasing again at the same position does nothing; a position exactly at a base removes up to it.
        #expect(try wal.release(upTo: before[2] + 100) == 0)
        #expect(try wal.release(upTo: before[3]) == 1)
        // Everything flushed: all but the active segment go.
        #expect(try wal.release(upTo: ranges.last!.end) == before.count - 4)
        #expect(try directory.segmentFiles().count == 1)
        #expect(try wal.entries(from: before.last!).count == ranges.filter { $0.start > before.last! }.count)
        #expect(throws: WALError.positionReleased(oldest: before.last!, requested: before[0])) {
            try wal.replay(from: before[0]) { _, _ in }
        }
        // The log still appends and reopens after releases.
        let next = try wal.appendOK(payload(1000, count: 10))
        try wal.sync()
        try wal.close()
        let reopened = try WriteAheadLog(directory: directory.path, configuration: smallConfiguration())
        #expect(reopened.recoveryReport.startLSN == before.last!)
        #expect(try reopened.entries(from: ranges.last!.end).map(\.lsn) == [next.start])
        try reopened.close()
    }

    @Test("a full WAL refuses appends, and accepts again once release frees segments")
    func fullRefusalThenRelease() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let configuration = smallConfiguration(segmentBytes: 4096, maxBytes: 16384)
        let wal = try WriteAheadLog(directory: directory.path, configuration: configuration)
        defer { try? wal.close() }
        var accepted: [WALRange] = []
        var refusal: WALAppendResult?
        for index in 0..<100 {
            let result = try payload(index, count: 1000).withUnsafeBytes { try wal.append($0) }
            if case .appended(let range) = result {
                accepted.append(range)
            } else {
                refusal = result
                break
            }
        }
        guard case .full(let retained, let max) = refusal else {
            Issue.record("no refusal after \(accepted.count) entries")
            return
        }
        #expect(max == 16384)
        #expect(retained <= 16384)
        #expect(wal.statistics.fullRefusals == 1)
        #expect(wal.statistics.retainedBytes <= 16384)
        // Still full: nothing was written for the refused entry, and nothing changes until a release.
        #expect(try payload(0, count: 1000).withUnsafeBytes { try wal.append($0) } == refusal)
        try wal.sync()
        #expect(try wal.entries(from: accepted[0].start).count == accepted.count)
        #expect(try wal.release(upTo: accepted.last!.end) > 0)
        let after = try wal.appendOK(payload(500, count: 1000))
        #expect(after.start >= accepted.last!.end)
        try wal.sync()
        #expect(try wal.entries(from: accepted.last!.end).map(\.payload) == [payload(500, count: 1000)])
    }
}
