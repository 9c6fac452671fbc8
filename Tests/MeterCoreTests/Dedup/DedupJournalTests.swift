import MeterCore
import Testing

/// The journal of new keys a flush persists (docs/dedup.md "Restarts"): exactly the keys
/// inserted since the previous take, whichever generation holds them.
struct DedupJournalTests {
    @Test func takesExactlyTheKeysInsertedSinceTheLastTake() {
        var window = DedupWindow(windowSeconds: 30, maxEntries: 1_000)
        expectNew(&window, dedupKey(0), now: 1_000)  // before the journal: not recorded
        window.startJournal()
        #expect(window.isJournaling)
        expectNew(&window, dedupKey(1), now: 1_000)
        expectDuplicate(&window, dedupKey(0), now: 1_001)
        expectNew(&window, dedupKey(2), now: 1_005)
        let firstTake = window.takeNewIDs()
        let secondTake = window.takeNewIDs()
        #expect(firstTake == [DedupEntry(fingerprint: dedupKey(1), arrival: 1_000),
                              DedupEntry(fingerprint: dedupKey(2), arrival: 1_005)])
        #expect(secondTake.isEmpty)
        // Across generations (span 10 s): each new key once, duplicates never.
        var expected: [DedupEntry] = []
        for i in 3..<60 {
            let now = Int64(1_005 + i)
            expectNew(&window, dedupKey(i), now: now)
            expectDuplicate(&window, dedupKey(i), now: now)
            expected.append(DedupEntry(fingerprint: dedupKey(i), arrival: now))
        }
        let taken = window.takeNewIDs()
        #expect(taken == expected)
        #expect(window.pendingNewIDs == 0)
    }

    @Test func restoredKeysAreRememberedButNotJournaled() {
        var window = DedupWindow(windowSeconds: 60, maxEntries: 100)
        window.startJournal()
        let restored = window.restore(dedupKey(7), arrival: 500)
        let again = window.restore(dedupKey(7), arrival: 501)
        #expect(restored && !again)
        let none = window.takeNewIDs()
        #expect(none.isEmpty)
        expectDuplicate(&window, dedupKey(7), now: 540)
        expectNew(&window, dedupKey(8), now: 540)
        let eight = window.takeNewIDs()
        #expect(eight == [DedupEntry(fingerprint: dedupKey(8), arrival: 540)])
        #expect(window.isJournaling)
    }

    @Test func theJournalIsBoundedWhenNobodyTakesIt() {
        var window = DedupWindow(windowSeconds: 60, maxEntries: 4)
        window.startJournal()
        for i in 0..<20 { expectNew(&window, dedupKey(i), now: 100) }
        let kept = window.takeNewIDs()
        #expect(kept.count <= 8)
        #expect(kept.last == DedupEntry(fingerprint: dedupKey(19), arrival: 100))
        #expect(kept.map(\.fingerprint) == (20 - kept.count ..< 20).map(dedupKey))
    }

    @Test func aDisabledWindowNeverJournals() {
        var window = DedupWindow(windowSeconds: 0, maxEntries: 1)
        window.startJournal()
        #expect(!window.isJournaling)
        expectNew(&window, dedupKey(1), now: 1)
        let nothing = window.takeNewIDs()
        #expect(nothing.isEmpty)
    }

    @Test func seenIDsMergeAndTrimTheOldest() {
        var ids = SeenIDs()
        ids.add(shard: 0, (0..<6).map { DedupEntry(fingerprint: dedupKey($0), arrival: Int64($0)) })
        var other = SeenIDs()
        other.add(shard: 1, [DedupEntry(fingerprint: dedupKey(9), arrival: 9)])
        other.add(shard: 0, [DedupEntry(fingerprint: dedupKey(6), arrival: 6)])
        ids.merge(other)
        #expect(ids.count == 8)
        let dropped = ids.trim(toAtMost: 5)
        #expect(dropped == 3)
        #expect(ids.count == 5)
        #expect(ids.byShard[0]?.map(\.arrival) == [3, 4, 5, 6])
        #expect(ids.byShard[1]?.count == 1)
        let all = ids.take()
        #expect(all.count == 5 && ids.isEmpty)
    }
}

/// Start-up restore through the engine: to the shard that counted the key, or to every shard
/// when the key was written under another shard count.
struct DedupRestoreEngineTests {
    @Test func restoresIntoOneShardOrIntoEvery() {
        var configuration = EngineConfiguration()
        configuration.shardCount = 3
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 1))
        engine.restoreDedupID(dedupKey(1), arrival: 1_000, shard: 2)
        engine.restoreDedupID(dedupKey(2), arrival: 1_000, shard: nil)
        engine.restoreDedupID(dedupKey(3), arrival: 1_000, shard: 7)  // out of range: every shard
        let windows = (0..<3).map { engine.consumer(shard: $0).aggregator.dedupWindow }
        #expect(windows.map { $0.contains(dedupKey(1), now: 1_001) } == [false, false, true])
        #expect(windows.allSatisfy { $0.contains(dedupKey(2), now: 1_001) && $0.contains(dedupKey(3), now: 1_001) })
        // Restored keys are not journaled: nothing to persist again.
        engine.startDedupJournals()
        engine.restoreDedupID(dedupKey(4), arrival: 1_002, shard: 0)
        #expect(engine.consumer(shard: 0).aggregator.takeNewDedupIDs().isEmpty)
    }
}
