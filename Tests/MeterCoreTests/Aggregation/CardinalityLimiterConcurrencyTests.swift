import Foundation
import MeterCore
import Synchronization
import Testing

/// The limiter's counts are spread over independently locked stripes plus an atomic total:
/// threads admitting at once must never take more places than a limit allows.
@Suite struct CardinalityLimiterConcurrencyTests {
    /// Each of `threads` threads admits `attempts` series of the tenants `tenant(thread, index)`
    /// with no dimensions, all starting together; returns the admissions and refusals by reason.
    static func admitConcurrently(_ limiter: CardinalityLimiter, threads: Int, attempts: Int,
                                  tenant: @escaping @Sendable (Int, Int) -> String) -> (admitted: Int, refusals: [RefusalReason: Int]) {
        let outcomes = Mutex<(admitted: Int, refusals: [RefusalReason: Int])>((0, [:]))
        let ready = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        for thread in 0..<threads {
            ready.enter()
            finished.enter()
            Thread {
                ready.leave()
                start.wait()
                var admitted = 0
                var refusals: [RefusalReason: Int] = [:]
                for index in 0..<attempts {
                    let name = Array(tenant(thread, index).utf8)
                    let reason = name.withUnsafeBytes { limiter.admit(tenant: $0, dimensions: UnsafeRawBufferPointer(start: nil, count: 0)) }
                    if let reason { refusals[reason, default: 0] += 1 } else { admitted += 1 }
                }
                outcomes.withLock { total in
                    total.admitted += admitted
                    total.refusals.merge(refusals, uniquingKeysWith: +)
                }
                finished.leave()
            }.start()
        }
        ready.wait()
        for _ in 0..<threads { start.signal() }
        finished.wait()
        return outcomes.withLock { $0 }
    }

    @Test func theTotalLimitHoldsExactlyUnderConcurrentAdmissions() {
        var limits = AggregatorLimits()
        limits.maxSeries = 3_000
        limits.maxSeriesPerTenant = 1_000_000
        let limiter = CardinalityLimiter(limits: limits, hasher: ByteHasher(seed: 7))
        // 8 threads x 1,000 series of distinct tenants (spread over every stripe): 8,000 tries.
        let outcome = Self.admitConcurrently(limiter, threads: 8, attempts: 1_000) { thread, index in "t\(thread)-\(index)" }
        #expect(outcome.admitted == 3_000)
        #expect(outcome.refusals == [.seriesLimit: 5_000])
        #expect(limiter.totalSeries == 3_000)
    }

    @Test func theTenantLimitHoldsExactlyWhenEveryThreadAdmitsTheSameTenant() {
        var limits = AggregatorLimits()
        limits.maxSeriesPerTenant = 250
        let limiter = CardinalityLimiter(limits: limits, hasher: ByteHasher(seed: 7))
        let outcome = Self.admitConcurrently(limiter, threads: 8, attempts: 100) { _, _ in "shared" }
        #expect(outcome.admitted == 250)
        #expect(outcome.refusals == [.tenantSeriesLimit: 550])
        #expect(limiter.seriesCount(tenant: "shared") == 250)
        #expect(limiter.totalSeries == 250)
    }

    @Test func releasedPlacesCanBeTakenAgain() {
        var limits = AggregatorLimits()
        limits.maxSeries = 2
        let limiter = CardinalityLimiter(limits: limits, hasher: ByteHasher(seed: 7))
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        let names = ["a", "b", "c"].map { Array($0.utf8) }
        #expect(names[0].withUnsafeBytes { limiter.admit(tenant: $0, dimensions: none) } == nil)
        #expect(names[1].withUnsafeBytes { limiter.admit(tenant: $0, dimensions: none) } == nil)
        #expect(names[2].withUnsafeBytes { limiter.admit(tenant: $0, dimensions: none) } == .seriesLimit)
        names[0].withUnsafeBytes { limiter.release(tenant: $0, dimensions: none) }
        #expect(limiter.seriesCount(tenant: "a") == 0)
        #expect(limiter.totalSeries == 1)
        #expect(names[2].withUnsafeBytes { limiter.admit(tenant: $0, dimensions: none) } == nil)
    }
}
