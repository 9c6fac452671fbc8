import MeterCore
import Testing

/// Seeded randomized checks of `DedupWindow` against a dictionary model
/// `[Fingerprint128: insertTime]` (the time of the insert that answered "new").
@Suite struct DedupWindowModelTests {
    static let g = Int64(DedupWindow.generations)

    /// Monotonic arrival times, ample capacity: the window must match the generation
    /// semantics exactly (an id inserted at `t` is present at `q` iff neither the latest insert
    /// time nor `q` is `G` or more buckets past `t`'s bucket), which implies the guarantee
    /// "seen within [now - window, now] => present", and it never reports an id never inserted.
    @Test(arguments: [1, 2, 3, 0x5eed, 0xdead_beef, 2024] as [UInt64])
    func matchesTheModelWithMonotonicTime(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let windowSeconds = [1, 2, 3, 7, 90, 3_600][Int.random(in: 0 ..< 6, using: &random)] as Int64
        var window = DedupWindow(windowSeconds: windowSeconds, maxEntries: 100_000)
        let span = window.spanSeconds
        var model: [Fingerprint128: Int64] = [:]
        var now = Int64.random(in: -1_000_000 ... 2_000_000_000, using: &random)
        let pool = (0 ..< 200).map { _ in Fingerprint128(high: random.next(), low: random.next()) }
        let neverInserted = (0 ..< 50).map { _ in Fingerprint128(high: random.next(), low: random.next()) }

        func expected(_ key: Fingerprint128, at query: Int64, latest: Int64) -> Bool {
            guard let t = model[key] else { return false }
            let bucket = dedupBucket(t, span: span)
            return dedupBucket(latest, span: span) - bucket < Self.g && dedupBucket(query, span: span) - bucket < Self.g
        }

        for step in 0 ..< 4_000 {
            switch Int.random(in: 0 ..< 100, using: &random) {
            case 0 ..< 60: break
            case 60 ..< 95: now += Int64.random(in: 1 ... max(1, span), using: &random)
            case 95 ..< 99: now += Int64.random(in: 0 ... (Self.g + 1) * span, using: &random)
            default: now += Int64.random(in: 0 ... 10 * windowSeconds, using: &random)
            }
            let key = pool[Int.random(in: 0 ..< pool.count, using: &random)]
            let present = expected(key, at: now, latest: now)
            if let t = model[key] {
                if now - t <= windowSeconds { #expect(present, "seed \(seed) step \(step): guarantee") }
                if now - t >= Self.g * span { #expect(!present, "seed \(seed) step \(step): upper bound") }
            }
            #expect(window.contains(key, now: now) == present, "seed \(seed) step \(step)")
            let isNew = window.insert(key, now: now)
            #expect(isNew == !present, "seed \(seed) step \(step)")
            if isNew { model[key] = now }

            // Lookups at other times, before and after the latest insert.
            let query = now + Int64.random(in: -2 * windowSeconds ... 2 * windowSeconds, using: &random)
            let probe = pool[Int.random(in: 0 ..< pool.count, using: &random)]
            #expect(window.contains(probe, now: query) == expected(probe, at: query, latest: now),
                    "seed \(seed) step \(step): query at \(query)")
            for never in neverInserted.prefix(3) { #expect(!window.contains(never, now: query)) }

            if step % 50 == 0 {
                let remembered = pool.filter { expected($0, at: now, latest: now) }.count
                #expect(window.count == remembered, "seed \(seed) step \(step): count")
                for never in neverInserted { #expect(!window.contains(never, now: now)) }
            }
        }
        #expect(window.evictedBeforeExpiry == 0)
        #expect(window.allocatedBytes <= window.maxAllocatedBytes)
    }

    /// Arrival times that sometimes step backwards, and capacity that sometimes runs out. An
    /// id never inserted is never reported; `insert` agrees with `contains`; `count` is exact;
    /// and every id inserted after `forgottenEarlyThrough` is remembered while the latest time
    /// seen is within the window of its insert.
    @Test(arguments: [(7, 100_000), (8, 100_000), (9, 40), (10, 7), (11, 1)] as [(UInt64, Int)])
    func keepsItsGuaranteesWhenTheClockStepsBack(seed: UInt64, maxEntries: Int) {
        var random = SeededGenerator(seed: seed)
        let windowSeconds: Int64 = maxEntries < 100 ? 90 : [5, 60, 90][Int(seed % 3)]
        var window = DedupWindow(windowSeconds: windowSeconds, maxEntries: maxEntries)
        var model: [Fingerprint128: Int64] = [:]
        var now: Int64 = 1_000_000
        var latest = Int64.min   // the latest insert time
        let pool = (0 ..< 150).map { _ in Fingerprint128(high: random.next(), low: random.next()) }
        let neverInserted = (0 ..< 20).map { _ in Fingerprint128(high: random.next(), low: random.next()) }

        for step in 0 ..< 4_000 {
            switch Int.random(in: 0 ..< 100, using: &random) {
            case 0 ..< 55: break
            case 55 ..< 85: now += Int64.random(in: 1 ... windowSeconds / 2 + 1, using: &random)
            case 85 ..< 95: now -= Int64.random(in: 1 ... 3 * windowSeconds, using: &random)
            default: now = max(latest, now) + Int64.random(in: 0 ... windowSeconds, using: &random)
            }
            let key = pool[Int.random(in: 0 ..< pool.count, using: &random)]
            let wasPresent = window.contains(key, now: now)
            if model[key] == nil { #expect(!wasPresent, "seed \(seed) step \(step): never inserted") }
            if let t = model[key], t > window.forgottenEarlyThrough ?? .min, max(latest, now) - t <= windowSeconds {
                #expect(wasPresent, "seed \(seed) step \(step): forgotten within the window")
            }
            let isNew = window.insert(key, now: now)
            latest = max(latest, now)
            #expect(isNew == !wasPresent, "seed \(seed) step \(step)")
            if isNew { model[key] = now }
            #expect(window.count <= maxEntries)
            #expect(window.allocatedBytes <= window.maxAllocatedBytes)

            for never in neverInserted.prefix(2) {
                #expect(!window.contains(never, now: now - windowSeconds))
            }
            if step % 40 == 0 {
                // Everything held is visible as of the latest insert time.
                let remembered = pool.filter { window.contains($0, now: latest) }.count
                #expect(window.count == remembered, "seed \(seed) step \(step): count")
            }
        }
        if maxEntries < pool.count {
            #expect(window.evictedBeforeExpiry > 0)
            #expect(window.forgottenEarlyThrough != nil)
        } else {
            #expect(window.forgottenEarlyThrough == nil)
        }
    }
}
