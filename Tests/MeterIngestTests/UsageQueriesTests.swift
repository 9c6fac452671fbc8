import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import MeterCore
@testable import MeterIngest

/// The usage query protocol run by the aggregation loop (docs/queries.md), in process, with
/// the in-memory sink and store.
@Suite(.timeLimit(.minutes(2)))
struct UsageQueriesTests {
    typealias Snapshots = ShardSnapshotRequestsTests

    /// The in-memory store, read `delay` late: a slow PostgreSQL read, during which the loop
    /// keeps collecting rounds and must start no write.
    struct SlowStore: UsageStore {
        let store: InMemoryUsageStore
        let delay: useconds_t
        func read(_ request: UsageRequest) throws -> StoredUsage {
            usleep(delay)
            return try store.read(request)
        }
    }

    static func service(flushInterval: Duration, sink: InMemoryRollupSink,
                        storeDelay: useconds_t = 0) -> (MeterEngine, AggregationService, UsageQueries) {
        var configuration = EngineConfiguration()
        configuration.shardCount = 3
        let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
        let service = AggregationService(engine: engine, sink: sink, flushInterval: FlushInterval(flushInterval),
                                         stats: AggregateStats(shardCount: 3), flushStats: FlushStats(),
                                         logger: Logger(label: "test"),
                                         usageStore: SlowStore(store: InMemoryUsageStore(sink: sink), delay: storeDelay))
        return (engine, service, UsageQueries(mailbox: service.queries, limits: UsageQueryLimits()))
    }

    static func month(now: Int64 = wallSeconds()) -> UsageRequest {
        let start = Grain.month.bucketStart(containing: now)
        return UsageRequest(tenant: "a", metric: "calls", grain: .month, from: start, to: Grain.month.bucketEnd(startingAt: start))
    }

    /// Events and counter sum over the answer.
    static func totals(_ answer: UsageAnswer) -> (events: Int64, sum: String) {
        (answer.events, answer.total(of: "calls").description)
    }

    /// While events flow and flushes run every 5 ms, every answer counts at most what was sent
    /// (never a delta twice) and the last one everything (nothing lost once the ring drained).
    /// With a store read of 100 ms, rounds are collected during the read while the hold keeps
    /// their rows (and the snapshot's) from being written: without the hold they would be
    /// counted from the snapshot and from the store.
    @Test(arguments: [0, 100_000] as [useconds_t])
    func answersNeverCountTwiceWhileFlushesRun(storeDelay: useconds_t) async throws {
        let sink = InMemoryRollupSink()
        let (engine, service, queries) = Self.service(flushInterval: .milliseconds(5), sink: sink, storeDelay: storeDelay)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            var sent: Int64 = 0
            for step in 1...40 {
                Snapshots.send(engine, (0..<25).map { "calls:2|c|#tenant:a,model:m\(($0 + step) % 6)" })
                sent += 25
                let answer = try await queries.usage(Self.month())
                #expect(answer.events <= sent, "step \(step): \(answer.events) events counted, \(sent) sent")
                #expect(answer.total(of: "calls") == QuantitySum(units: Int128(answer.events) * 2_000_000))
            }
            // Once the ring is drained every event is in the answer.
            var answer = try await queries.usage(Self.month())
            while answer.events < sent {
                try await Task.sleep(for: .milliseconds(5))
                answer = try await queries.usage(Self.month())
            }
            #expect(Self.totals(answer) == (sent, "\(sent * 2)"))
            #expect(!sink.rows().isEmpty, "some were flushed")
            group.cancelAll()
        }
    }

    @Test func unknownTenantAndKnownTenantWithoutTheMetric() async throws {
        let sink = InMemoryRollupSink()
        let (engine, service, queries) = Self.service(flushInterval: .seconds(3_600), sink: sink)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            Snapshots.send(engine, ["other:1|c|#tenant:a"])
            var request = Self.month()
            request.metric = nil
            while try await queries.usage(request).events < 1 { try await Task.sleep(for: .milliseconds(5)) }
            // Tenant a is in memory only, and has no `calls`: known, empty.
            #expect(try await queries.usage(Self.month()).series.isEmpty)
            var unknown = Self.month()
            unknown.tenant = "nobody"
            await #expect(throws: UsageQueryError.unknownTenant("nobody")) { try await queries.usage(unknown) }
            group.cancelAll()
        }
    }

    @Test func theShardTurnHookRunsOncePerShardBeforeTheAnswer() async throws {
        let sink = InMemoryRollupSink()
        let (_, service, queries) = Self.service(flushInterval: .seconds(3_600), sink: sink)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            let turns = Mutex<[Int]>([])
            var request = Self.month()
            request.onShardTurn = { shard in turns.withLock { $0.append(shard) } }
            await #expect(throws: UsageQueryError.self) { try await queries.usage(request) }
            #expect(turns.withLock { $0.sorted() } == [0, 1, 2])
            group.cancelAll()
        }
    }

    @Test func aWakeEndsTheLoopsSleepEarly() async {
        let wake = LoopWake()
        let clock = ContinuousClock()
        let started = clock.now
        // Signalled from a Dispatch thread: under a full test run the cooperative pool can be
        // busy for seconds (synchronous end-to-end tests), so the bound is loose; a lost signal
        // would still show as the whole 90 s.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { wake.signal() }
        await wake.wait(upTo: .seconds(90))
        #expect(clock.now - started < .seconds(60))
        // A signal with no waiter ends the next wait at once; the timeout ends a wait alone.
        wake.signal()
        await wake.wait(upTo: .seconds(30))
        let timed = clock.now
        await wake.wait(upTo: .milliseconds(10))
        #expect(clock.now - timed >= .milliseconds(10))
    }
}

/// Step 4's decision on the batch (docs/queries.md): counted from memory exactly while its
/// commit is not visible in the store's snapshot (`C < B`).
@Suite struct UsageMergeTests {
    static func delta(units: Int64) -> RollupDelta { FlusherUncommittedTests.delta("a", units: units) }

    @Test func theBatchCountsFromMemoryOnlyWhileTheStoreDoesNotShowItsCommit() throws {
        let request = UsageRequest(tenant: "a", metric: "calls", grain: .month, from: 1_767_225_600, to: 1_767_225_601)
        let id = UsageSeriesID(metric: "calls", type: .counter, dimensions: [])
        var stored = RollupValue(type: .counter)
        stored.events = 1
        stored.sum = QuantitySum(units: 1_000_000)
        let memory = UsageInMemory(shards: [Self.delta(units: 4_000_000)], pending: [Self.delta(units: 2_000_000)],
                                   batch: [Self.delta(units: 8_000_000)], batchCommitsAs: 6)
        for (committed, expected) in [(Int64(5), "15"), (6, "7"), (7, "7")] {
            let store = StoredUsage(committedWrites: committed, tenantKnown: true,
                                    rows: [StoredUsage.Row(series: id, bucketStart: 1_767_225_600, value: stored)])
            let answer = try #require(UsageMerge.answer(request, stored: store, memory: memory))
            #expect(answer.total(of: "calls").description == expected, "C = \(committed), B = 6")
        }
        #expect(UsageMerge.answer(request, stored: StoredUsage(committedWrites: 0, tenantKnown: false, rows: []),
                                  memory: UsageInMemory()) == nil)
        let inMemoryOnly = UsageMerge.answer(request, stored: StoredUsage(committedWrites: 0, tenantKnown: false, rows: []),
                                             memory: UsageInMemory(pending: [Self.delta(units: 1)]))
        #expect(inMemoryOnly?.events == 1)
    }
}
