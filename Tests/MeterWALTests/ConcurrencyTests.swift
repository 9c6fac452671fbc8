import Dispatch
import Foundation
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
        // NSLock rather than Synchronization.Mutex: ThreadSanitizer does not see the latter's
        // futex-based locking on Linux and reports a false race.
        let results = LockedResults()
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
                    results.set(range.start, bytes)
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let statistics = wal.statistics
        try wal.close()
        let expected = results.all
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

extension ConcurrencyTests {
    @Test("sync() and wal.commit_bytes start a commit without waiting for a long commit interval")
    func commitTriggers() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let configuration = WALConfiguration(segmentBytes: 1 << 20, maxBytes: 8 << 20, commitInterval: .seconds(30),
                                             commitBytes: 64 << 10, maxEntryBytes: 16 << 10)
        let wal = try WriteAheadLog(directory: directory.path, configuration: configuration)
        let clock = ContinuousClock()

        let small = try wal.appendOK(payload(1, count: 100))
        #expect(wal.durablePosition < small.end, "30 s interval: not committed yet")
        var synced: Int64 = 0
        let forced = try clock.measure { synced = try wal.sync() }
        #expect(synced >= small.end)
        #expect(forced < .seconds(5))
        #expect(wal.durablePosition >= small.end)

        // 64 KiB pending starts a commit at once.
        var last = small
        let bytes = try clock.measure {
            for index in 0..<5 { last = try wal.appendOK(payload(index, count: 16 << 10)) }
            try wal.waitDurable(upTo: last.end - Int64(WALFormat.entryBytes(payloadBytes: 16 << 10)))
        }
        #expect(bytes < .seconds(5))

        // Closing commits what is pending; afterwards waits and callbacks report `.closed`.
        let pending = try wal.appendOK(payload(9, count: 10))
        try wal.close()
        #expect(wal.durablePosition >= pending.end)
        #expect(throws: WALError.positionAhead(walEnd: pending.end, requested: pending.end + 8)) {
            try wal.waitDurable(upTo: pending.end + 8)
        }
        let signal = Signal()
        wal.whenDurable(pending.end) { signal.fire($0) }
        #expect(try signal.wait().get() >= pending.end)
        #expect(throws: WALError.closed) { try wal.release(upTo: pending.end) }
    }
}

/// Payloads by LSN, filled by several threads.
private final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int64: [UInt8]] = [:]

    func set(_ lsn: Int64, _ payload: [UInt8]) {
        lock.lock()
        values[lsn] = payload
        lock.unlock()
    }

    var all: [Int64: [UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
