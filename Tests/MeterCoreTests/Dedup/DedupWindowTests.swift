import MeterCore
import Testing

/// A distinct, never-zero fingerprint per `i`.
func dedupKey(_ i: Int) -> Fingerprint128 {
    let value = UInt64(truncatingIfNeeded: i)
    return Fingerprint128(high: (value &* 0x9E37_79B9_7F4A_7C15) ^ 0x5555_AAAA_0000_FFFF, low: value | (1 << 63))
}

/// `floor(now / span)`, computed independently of the window.
func dedupBucket(_ now: Int64, span: Int64) -> Int64 {
    var quotient = now / span
    if now % span != 0 && now < 0 { quotient -= 1 }
    return quotient
}

/// Inserts `key` and expects the window to answer "new".
func expectNew(_ window: inout DedupWindow, _ key: Fingerprint128, now: Int64,
               sourceLocation: SourceLocation = #_sourceLocation) {
    let isNew = window.insert(key, now: now)
    #expect(isNew, "expected a new id", sourceLocation: sourceLocation)
}

/// Inserts `key` and expects the window to answer "duplicate".
func expectDuplicate(_ window: inout DedupWindow, _ key: Fingerprint128, now: Int64,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    let isNew = window.insert(key, now: now)
    #expect(!isNew, "expected a duplicate", sourceLocation: sourceLocation)
}

@Suite struct DedupWindowTests {
    static let g = Int64(DedupWindow.generations)

    @Test func duplicateWithinWindowIsDetected() {
        var window = DedupWindow(windowSeconds: 3_600, maxEntries: 1_000)
        expectNew(&window, dedupKey(1), now: 1_700_000_000)
        expectDuplicate(&window, dedupKey(1), now: 1_700_000_000)
        expectDuplicate(&window, dedupKey(1), now: 1_700_001_800)
        #expect(window.contains(dedupKey(1), now: 1_700_003_600))
        #expect(!window.contains(dedupKey(2), now: 1_700_000_000))
        expectNew(&window, dedupKey(2), now: 1_700_003_600)
        #expect(window.count == 2)
        #expect(window.evictedBeforeExpiry == 0)
    }

    @Test(arguments: [(1, 1), (2, 1), (3, 1), (4, 2), (90, 30), (100, 34), (86_400, 28_800)] as [(Int64, Int64)])
    func spanIsWindowOverGenerationsMinusOneRoundedUp(window: Int64, span: Int64) {
        #expect(DedupWindow(windowSeconds: window, maxEntries: 10).spanSeconds == span)
    }

    /// Inserted at the start, middle and end of a span: remembered through `t + window`,
    /// forgotten from the start of the `G`th span after its own, at most `window + span` later
    /// when the window is a multiple of `G - 1`.
    @Test(arguments: [1, 2, 3, 7, 90, 100, 86_400] as [Int64])
    func remembersForAtLeastTheWindowAndForgetsAfterOneMoreSpan(windowSeconds: Int64) {
        let fresh = DedupWindow(windowSeconds: windowSeconds, maxEntries: 100)
        let span = fresh.spanSeconds
        let base = 1_700_000_000 / span * span
        for offset in Set([0, span / 2, span - 1]) {
            let t = base + offset
            var window = fresh
            expectNew(&window, dedupKey(7), now: t)
            #expect(window.contains(dedupKey(7), now: t))
            #expect(window.contains(dedupKey(7), now: t + windowSeconds - 1))
            #expect(window.contains(dedupKey(7), now: t + windowSeconds))
            let forgottenAt = (dedupBucket(t, span: span) + Self.g) * span
            #expect(forgottenAt > t + windowSeconds)
            #expect(forgottenAt <= t + Self.g * span)
            #expect(window.contains(dedupKey(7), now: forgottenAt - 1))
            #expect(!window.contains(dedupKey(7), now: forgottenAt))
            #expect(!window.contains(dedupKey(7), now: t + Self.g * span))
            if windowSeconds % (Self.g - 1) == 0 {
                #expect(!window.contains(dedupKey(7), now: t + windowSeconds + span))
            }

            var atWindow = window
            expectDuplicate(&atWindow, dedupKey(7), now: t + windowSeconds)
            #expect(atWindow.count == 1)
            var afterExpiry = window
            expectNew(&afterExpiry, dedupKey(7), now: forgottenAt)
            #expect(afterExpiry.count == 1)
            #expect(afterExpiry.evictedBeforeExpiry == 0)
        }
    }

    @Test func exactBoundariesForADayWindow() {
        var window = DedupWindow(windowSeconds: 86_400, maxEntries: 100)
        let t: Int64 = 1_699_977_600   // a multiple of the 8-hour span
        expectNew(&window, dedupKey(1), now: t)
        expectDuplicate(&window, dedupKey(1), now: t + 86_399)
        expectDuplicate(&window, dedupKey(1), now: t + 86_400)
        #expect(window.contains(dedupKey(1), now: t + 86_400 + 28_799))
        #expect(!window.contains(dedupKey(1), now: t + 86_400 + 28_800))
        expectNew(&window, dedupKey(1), now: t + 86_400 + 28_800)
    }

    @Test func clockGoingBackwardsNeverForgetsEarly() {
        var window = DedupWindow(windowSeconds: 90, maxEntries: 1_000)
        #expect(window.spanSeconds == 30)
        expectNew(&window, dedupKey(1), now: 10_000)
        // A step back of far more than the window: nothing rotates, nothing is forgotten.
        expectDuplicate(&window, dedupKey(1), now: 100)
        expectNew(&window, dedupKey(2), now: 100)
        expectDuplicate(&window, dedupKey(2), now: 9_000)
        #expect(window.contains(dedupKey(1), now: 100))
        #expect(window.contains(dedupKey(2), now: 10_000))
        #expect(window.count == 2)
        // Back to the real time: an id inserted during the step is remembered as if inserted
        // at the latest time seen, so at least as long as it would have been.
        #expect(window.contains(dedupKey(2), now: 10_090))
        expectDuplicate(&window, dedupKey(1), now: 10_090)
        // Bucket 333 ends the window at the start of bucket 337.
        #expect(window.contains(dedupKey(1), now: 10_109))
        #expect(!window.contains(dedupKey(1), now: 10_110))
        expectNew(&window, dedupKey(3), now: 10_110)
        #expect(window.count == 1)
        #expect(!window.contains(dedupKey(2), now: 10_110))
        #expect(window.evictedBeforeExpiry == 0)
    }

    @Test func negativeTimesUseFloorBuckets() {
        var window = DedupWindow(windowSeconds: 90, maxEntries: 10)
        expectNew(&window, dedupKey(1), now: -100)   // bucket -4, forgotten at bucket 0
        #expect(window.contains(dedupKey(1), now: -10))
        #expect(window.contains(dedupKey(1), now: -1))
        #expect(!window.contains(dedupKey(1), now: 0))
        expectNew(&window, dedupKey(2), now: -1)
        expectDuplicate(&window, dedupKey(2), now: 89)
        expectNew(&window, dedupKey(1), now: 0)
    }

    @Test func zeroWindowRemembersNothing() {
        var window = DedupWindow(windowSeconds: 0, maxEntries: 0)
        #expect(!window.isEnabled)
        expectNew(&window, dedupKey(1), now: 5)
        expectNew(&window, dedupKey(1), now: 5)
        #expect(!window.contains(dedupKey(1), now: 5))
        #expect(window.count == 0)
        #expect(window.evictedBeforeExpiry == 0)
        #expect(window.allocatedBytes == 0)
        #expect(window.maxAllocatedBytes == 0)
        #expect(DedupWindow(windowSeconds: 0, maxEntries: 1_000_000).allocatedBytes == 0)
    }

    @Test func emptyMarkerAndAllZeroFingerprintsAreRemembered() {
        let zero = Fingerprint128(high: 0, low: 0)
        #expect(DedupWindow.emptyMarker == zero)
        var window = DedupWindow(windowSeconds: 600, maxEntries: 100_000)
        expectNew(&window, zero, now: 1_000)
        #expect(window.contains(zero, now: 1_000))
        expectDuplicate(&window, zero, now: 1_001)
        // The stand-in is the same key to the window (documented alias).
        #expect(window.contains(DedupWindow.emptyMarkerStandIn, now: 1_001))
        expectDuplicate(&window, DedupWindow.emptyMarkerStandIn, now: 1_001)
        // Values next to the marker are distinct keys.
        let neighbours = [Fingerprint128(high: 0, low: 1), Fingerprint128(high: 1, low: 0),
                          Fingerprint128(high: .max, low: .max), Fingerprint128(high: 0, low: .max)]
        for neighbour in neighbours {
            #expect(!window.contains(neighbour, now: 1_001))
            expectNew(&window, neighbour, now: 1_001)
        }
        #expect(window.count == 1 + neighbours.count)
        // Survives growth (rehashing) and rotation until the window ends.
        for i in 0 ..< 5_000 { expectNew(&window, dedupKey(i), now: 1_002 + Int64(i % 500)) }
        #expect(window.contains(zero, now: 1_600))
        expectDuplicate(&window, zero, now: 1_600)
        #expect(window.count == 5_005)

        var standInFirst = DedupWindow(windowSeconds: 600, maxEntries: 10)
        expectNew(&standInFirst, DedupWindow.emptyMarkerStandIn, now: 0)
        expectDuplicate(&standInFirst, zero, now: 0)
    }

    /// maxEntries 9: the newest generation closes early at 3 fingerprints (a third), so a
    /// capacity rotation forgets the oldest 3.
    @Test func capacityForgetsTheOldestGenerationEarlyAndCountsIt() {
        var window = DedupWindow(windowSeconds: 3_600, maxEntries: 9)
        let now: Int64 = 50_000
        for i in 1 ... 9 { expectNew(&window, dedupKey(i), now: now) }
        #expect(window.count == 9)
        #expect(window.evictedBeforeExpiry == 0)
        #expect(window.forgottenEarlyThrough == nil)
        expectDuplicate(&window, dedupKey(9), now: now)
        #expect(window.count == 9)

        expectNew(&window, dedupKey(10), now: now)
        #expect(window.count == 7)
        #expect(window.evictedBeforeExpiry == 3)
        #expect(window.forgottenEarlyThrough == now)
        for i in 1 ... 3 { #expect(!window.contains(dedupKey(i), now: now)) }
        for i in 4 ... 10 { #expect(window.contains(dedupKey(i), now: now)) }

        expectNew(&window, dedupKey(11), now: now)
        expectNew(&window, dedupKey(12), now: now)
        #expect(window.count == 9)
        expectNew(&window, dedupKey(13), now: now + 1)
        #expect(window.count == 7)
        #expect(window.evictedBeforeExpiry == 6)
        #expect(window.forgottenEarlyThrough == now)
        for i in 4 ... 6 { #expect(!window.contains(dedupKey(i), now: now + 1)) }
        for i in 7 ... 13 { #expect(window.contains(dedupKey(i), now: now + 1)) }
        // A forgotten id is new again: the cost of too small a window.
        expectNew(&window, dedupKey(1), now: now + 1)
        #expect(window.count == 8)
        #expect(window.allocatedBytes <= window.maxAllocatedBytes)
    }

    /// A burst closes the newest generation early, so every generation is in use when time
    /// moves on: the newest then stands for the new span too, and nothing is forgotten early.
    @Test func timeMovingOnWithEveryGenerationInUseForgetsNothingEarly() {
        var window = DedupWindow(windowSeconds: 90, maxEntries: 9)
        expectNew(&window, dedupKey(1), now: 0)
        expectNew(&window, dedupKey(2), now: 30)
        for i in 3 ... 8 { expectNew(&window, dedupKey(i), now: 60) }   // 3 in bucket 2, then 3 more
        #expect(window.count == 8)
        expectNew(&window, dedupKey(9), now: 90)
        #expect(window.evictedBeforeExpiry == 0)
        #expect(window.count == 9)
        expectDuplicate(&window, dedupKey(1), now: 90)
        #expect(window.contains(dedupKey(1), now: 119))
        #expect(!window.contains(dedupKey(1), now: 120))
        // Ids that shared the newest generation are kept until it ends: longer, never shorter.
        #expect(window.contains(dedupKey(8), now: 209))
        #expect(!window.contains(dedupKey(8), now: 210))
        #expect(window.contains(dedupKey(9), now: 209))
    }

    /// 10 new ids a second against a 90-second window needs up to 1200 entries (4 spans of
    /// 30 s): 2000 suffice, 1000 do not, and `forgottenEarlyThrough` shows how far back the
    /// window still reaches.
    @Test(arguments: [(2_000, false), (1_000, true)])
    func steadyTrafficAgainstTooSmallACapacity(maxEntries: Int, undersized: Bool) {
        var window = DedupWindow(windowSeconds: 90, maxEntries: maxEntries)
        let start: Int64 = 1_000_000
        var arrivals: [Int64] = []
        var shortestReach = Int64.max
        for second in 0 ..< 600 {
            for _ in 0 ..< 10 {
                expectNew(&window, dedupKey(arrivals.count), now: start + Int64(second))
                arrivals.append(start + Int64(second))
            }
            if let horizon = window.forgottenEarlyThrough {
                shortestReach = min(shortestReach, start + Int64(second) - horizon)
            }
        }
        let now = start + 599
        #expect((window.evictedBeforeExpiry > 0) == undersized)
        #expect((window.forgottenEarlyThrough != nil) == undersized)
        if undersized { #expect(shortestReach < 90) }
        let horizon = window.forgottenEarlyThrough ?? .min
        for (i, arrival) in arrivals.enumerated() where now - arrival <= 90 {
            #expect(window.contains(dedupKey(i), now: now) == (arrival > horizon))
        }
    }

    @Test(arguments: [1, 2, 3, 5, 8, 1_000])
    func floodWithinOneSpanKeepsTheNewestAndStaysInBudget(maxEntries: Int) {
        var window = DedupWindow(windowSeconds: 86_400, maxEntries: maxEntries)
        #expect(window.maxAllocatedBytes == DedupWindow.maxAllocatedBytes(windowSeconds: 86_400, maxEntries: maxEntries))
        let total = 10 * maxEntries + 7
        for i in 0 ..< total {
            expectNew(&window, dedupKey(i), now: 1_000 + Int64(i % 60))
            #expect(window.count <= maxEntries)
            #expect(window.count + window.evictedBeforeExpiry == i + 1)
            #expect(window.allocatedBytes <= window.maxAllocatedBytes)
        }
        // What is remembered is exactly the most recent `count` ids: forgetting is oldest first.
        let present = (0 ..< total).map { window.contains(dedupKey($0), now: 1_060) }
        let firstPresent = present.firstIndex(of: true) ?? total
        #expect(present[firstPresent...].allSatisfy { $0 })
        #expect(window.count == total - firstPresent)
        // A capacity rotation drops about a third of the window, never all of it.
        #expect(window.count >= (2 * maxEntries) / 3)
    }

    @Test func memoryBoundFormula() {
        #expect(DedupWindow.bytesPerEntry == 64)
        let window = DedupWindow(windowSeconds: 86_400, maxEntries: 1_000_000)
        #expect(window.maxAllocatedBytes == 64 * 1_000_000 + 4 * 16 * 16)
        #expect(DedupWindow(windowSeconds: 60, maxEntries: 3).maxAllocatedBytes == (4 * 3 + 4 * 6) * 16)
        #expect(window.allocatedBytes == 0)
    }

    @Test func memoryGrowsWithUseAndIsReusedUnderSteadyTraffic() {
        var window = DedupWindow(windowSeconds: 90, maxEntries: 1_000_000)
        #expect(window.allocatedBytes == 0)
        expectNew(&window, dedupKey(0), now: 0)
        #expect(window.allocatedBytes == 16 * 16)

        // 500 new ids per 30-second span for 20 spans: every table settles at 1024 slots and
        // is reused, cleared, on each rotation.
        var next = 1
        var sizes: [Int] = []
        for span in 0 ..< 20 {
            for second in 0 ..< 30 {
                for _ in 0 ..< (500 / 30 + (second < 500 % 30 ? 1 : 0)) {
                    expectNew(&window, dedupKey(next), now: Int64(span * 30 + second))
                    next += 1
                    if span >= 4 {
                        #expect(window.allocatedBytes <= DedupWindow.bytesPerEntry * window.count)
                    }
                }
            }
            sizes.append(window.allocatedBytes)
        }
        #expect(sizes[4...].allSatisfy { $0 == 4 * 1_024 * 16 })
        #expect(window.evictedBeforeExpiry == 0)
        #expect(window.count == 500 * 4)
    }

    @Test func memoryShrinksBackAfterAFlood() {
        var window = DedupWindow(windowSeconds: 90, maxEntries: 3_000)
        for i in 0 ..< 10_000 { _ = window.insert(dedupKey(i), now: 0) }
        let afterFlood = window.allocatedBytes
        #expect(afterFlood > 100_000)
        #expect(afterFlood <= window.maxAllocatedBytes)
        for span in 1 ... 8 {
            for j in 0 ..< 5 { expectNew(&window, dedupKey(100_000 + span * 10 + j), now: Int64(span * 30)) }
        }
        #expect(window.count == 20)
        #expect(window.allocatedBytes <= 4 * 16 * 16)
    }

    /// After a restart the window is rebuilt from the replayed events' ids and arrival times.
    @Test func rebuildsFromReplayedEventsWithOldTimes() {
        let base: Int64 = 1_700_000_000
        // 300 events, one every 10 minutes (50 hours), every tenth one retried 5 minutes later.
        var log: [(id: Int, at: Int64)] = []
        for i in 0 ..< 300 {
            log.append((i, base + Int64(i) * 600))
            if i % 10 == 0 { log.append((i, base + Int64(i) * 600 + 300)) }
        }
        var replayed = DedupWindow(windowSeconds: 86_400, maxEntries: 10_000)
        var counted = 0
        for event in log where replayed.insert(dedupKey(event.id), now: event.at) { counted += 1 }
        #expect(counted == 300)

        let now = base + 300 * 600
        // Live retries: within the last day they are duplicates; from 50 hours ago, new.
        expectDuplicate(&replayed, dedupKey(299), now: now)
        expectDuplicate(&replayed, dedupKey(300 - 144), now: now)
        expectNew(&replayed, dedupKey(0), now: now)
        expectNew(&replayed, dedupKey(1_000), now: now)
    }

    @Test func fingerprintKeysOnTenantMetricAndIdSeparately() {
        let hasher = ByteHasher(seed: 42)
        func key(_ tenant: String, _ metric: String, _ id: String) -> Fingerprint128 {
            var tenant = tenant, metric = metric, id = id
            return tenant.withUTF8 { t in metric.withUTF8 { m in id.withUTF8 { i in
                DedupWindow.fingerprint(tenant: UnsafeRawBufferPointer(t), metric: UnsafeRawBufferPointer(m),
                                        id: UnsafeRawBufferPointer(i), hasher: hasher)
            } } }
        }
        #expect(key("acme", "sms_messages", "req-1") == key("acme", "sms_messages", "req-1"))
        #expect(key("acme", "sms_messages", "req-1") != key("acme", "ai_interactions", "req-1"))
        #expect(key("acme", "sms_messages", "req-1") != key("acme2", "sms_messages", "req-1"))
        #expect(key("ab", "c", "d") != key("a", "bc", "d"))
        #expect(key("a", "bc", "d") != key("a", "b", "cd"))
    }

    @Test func settingsDefaultsAndValidation() {
        let settings = DedupSettings()
        #expect(settings.windowSeconds == 86_400)
        #expect(settings.maxEntries == 1_000_000)
        #expect(settings.validationErrors().isEmpty)
        #expect(settings.maxBytesPerShard == 64_001_024)
        #expect(settings.makeWindow().spanSeconds == 28_800)

        var bad = DedupSettings()
        bad.windowSeconds = -1
        #expect(bad.validationErrors() == ["dedup.window_seconds must not be negative"])
        bad.windowSeconds = 60
        bad.maxEntries = 0
        #expect(bad.validationErrors().count == 1)
        bad.windowSeconds = 0
        #expect(bad.validationErrors().isEmpty)
        #expect(bad.maxBytesPerShard == 0)
    }

    @Test func negativeWindowIsAProgrammerError() async {
        await #expect(processExitsWith: .failure) {
            _ = DedupWindow(windowSeconds: -1, maxEntries: 10)
        }
    }

    @Test func enabledWindowWithoutCapacityIsAProgrammerError() async {
        await #expect(processExitsWith: .failure) {
            _ = DedupWindow(windowSeconds: 60, maxEntries: 0)
        }
    }
}
