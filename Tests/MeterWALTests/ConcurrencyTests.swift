import Dispatch
import Synchronization
import Testing
@testable import MeterWAL

@Suite("WAL group commit")
struct ConcurrencyTests {
    @Test("several appending threads: every durable range replays exactly, with fewer syncs than entries")
    func concurrentAppenders() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let configuration = WALConfiguration(segmentBytes: 256 << 10, maxBytes: 64 << 20, commitInterval: .milliseconds(2),
                                             commitBytes: 32 << 10, maxEntryBytes: 8 << 10)
        let wal = try WriteAheadLog(directory: directory.path, configuration: configuration)
        let threads = 4
        let perThread = 400
        let results = Mutex<[Int64: [UInt8]]>([:])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                let bytes = payload(thread * 100_000 + index, count: 1 + (index * 131 + thread * 17) % 4000)
                do {
                    let range = try wal.appendOK(bytes)
                    // Half the appenders block, half use the callback, as the daemon's two kinds of caller would.
                    if index % 2 == 0 {
                        try wal.waitDurable(upTo: range.end)
                    } else {
                        let signal = Signal()
                        wal.whenDurable(range.end) { signal.fire($0) }
                        _ = try signal.wait().get()
                    }
                    #expect(wal.durablePosition >= range.end)
                    results.withLock { $0[range.start] = bytes }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let statistics = wal.statistics
        try wal.close()
        let expected = results.withLock { $0 }
        #expect(expected.count == threads * perThread)
        #expect(statistics.commits < threads * perThread, "group commit shares syncs (\(statistics.commits) commits)")
        #expect(statistics.segments > 1)

        let reopened = try WriteAheadLog(directory: directory.path, configuration: configuration)
        defer { try? reopened.close() }
        let replayed = try reopened.entries(from: 0)
        #expect(replayed.count == expected.count)
        for entry in replayed {
            #expect(expected[entry.lsn] == entry.payload, "entry at \(entry.lsn)")
        }
    }
}
