import Logging
import Synchronization
import Testing
@testable import MeterCore
@testable import MeterIngest

/// The flusher's side of a usage query (docs/queries.md, step 2): its uncommitted rows of a
/// selection, and the hold that keeps it from starting a write.
@Suite(.timeLimit(.minutes(1)))
struct FlusherUncommittedTests {
    /// A canonical series key (the layout `SeriesKey.decode` reads), without dimensions.
    static func key(_ tenant: String, _ metric: String) -> [UInt8] {
        let tenantBytes = Array(tenant.utf8), metricBytes = Array(metric.utf8)
        var key: [UInt8] = []
        for length in [tenantBytes.count, metricBytes.count, 0] { key += [UInt8(length & 0xFF), UInt8(length >> 8)] }
        key += [MetricType.counter.rawValue, 0]
        return key + tenantBytes + metricBytes
    }

    static func delta(_ tenant: String, _ metric: String = "calls", units: Int64, bucket: Int64 = 1_767_225_600) -> RollupDelta {
        RollupDelta(seriesKey: key(tenant, metric), type: .counter, grain: .month, bucketStart: bucket, events: 1,
                    sum: QuantitySum(units: Int128(units)), integral: .zero, minimum: nil, maximum: nil, latest: nil,
                    latestTime: 0, newMembers: [])
    }

    static func waitForTheWrite(_ flusher: inout Flusher) async throws {
        flusher.step()
        while flusher.isWriting {
            try await Task.sleep(for: .milliseconds(1))
            flusher.step()
        }
    }

    @Test func theBatchAwaitingItsRetryAndThePendingRowsAreUncommitted() async throws {
        let writer = FlushWriterThread()
        defer { writer.stop() }
        let sink = FlakySink(failures: 1)
        var flusher = Flusher(sink: sink, stats: FlushStats(), logger: Logger(label: "test"), writer: writer,
                              policy: FlushRetryPolicy(initialDelay: .seconds(3_600), maximumDelay: .seconds(3_600)))
        #expect(Self.key("a", "calls").withUnsafeBytes { SeriesKey.decode($0)?.metric } == "calls")
        let a1 = Self.delta("a", units: 1), b1 = Self.delta("b", units: 2)
        flusher.add([a1, b1])
        try await Self.waitForTheWrite(&flusher)  // fails: the batch waits an hour for its retry
        #expect(sink.writes.withLock { $0 } == 1)
        let a2 = Self.delta("a", units: 4), a3 = Self.delta("a", "other", units: 8)
        flusher.add([a2, a3, Self.delta("b", units: 16)])

        let a = flusher.uncommitted(of: SeriesSelection(tenant: "a", metric: "calls"))
        #expect(a.batch == [a1])
        #expect(a.pending == [a2])
        let allOfA = flusher.uncommitted(of: SeriesSelection(tenant: "a"))
        #expect(allOfA.pending == [a2, a3])
        #expect(flusher.uncommitted(of: SeriesSelection(tenant: "c")).batch == [])
    }

    @Test func aHoldStartsNoWriteUntilReleased() async throws {
        let writer = FlushWriterThread()
        defer { writer.stop() }
        let sink = FlakySink(failures: 0)
        var flusher = Flusher(sink: sink, stats: FlushStats(), logger: Logger(label: "test"), writer: writer)
        flusher.add([Self.delta("a", units: 1)])
        flusher.holdsWrites = true
        flusher.step()
        #expect(!flusher.isWriting)
        #expect(flusher.uncommitted(of: SeriesSelection(tenant: "a")).batch == nil)
        #expect(flusher.uncommitted(of: SeriesSelection(tenant: "a")).pending.count == 1)
        flusher.holdsWrites = false
        try await Self.waitForTheWrite(&flusher)
        #expect(sink.writes.withLock { $0 } == 1)
        #expect(flusher.isIdle)
        let after = flusher.uncommitted(of: SeriesSelection(tenant: "a"))
        #expect(after.pending.isEmpty && after.batch == nil)
    }
}
