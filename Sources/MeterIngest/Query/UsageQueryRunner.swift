import MeterCore
import Synchronization

/// Runs the usage query protocol (docs/queries.md) on the aggregation loop, between flush
/// rounds, for every query waiting in the mailbox at once:
/// 1. ask the shards (awaited: no round is requested meanwhile);
/// 2. read the flusher's uncommitted rows and the counter value its batch commits as, and hold
///    its writes;
/// 3. read the store on the query thread (one snapshot: rows and counter `C`) while the loop
///    goes on ticking and collecting rounds, but starts no write (the hold);
/// 4. once the read is done (it wakes the loop): combine, answer, release the hold.
/// One run at a time; queries arriving meanwhile wait for the next.
struct UsageQueryRunner {
    let mailbox: UsageQueryMailbox
    let snapshots: ShardSnapshotRequests
    let store: (any UsageStore)?
    /// The query thread: store reads block (libpq), never on the cooperative pool.
    let thread: FlushWriterThread
    /// The run between its steps 2 and 4.
    private var reading: Reading?

    init(mailbox: UsageQueryMailbox, snapshots: ShardSnapshotRequests, store: (any UsageStore)?, thread: FlushWriterThread) {
        self.mailbox = mailbox
        self.snapshots = snapshots
        self.store = store
        self.thread = thread
    }

    /// A run whose store reads are under way: its queries, what they saw in memory (nil: no
    /// `B` for a batch), and the reads' results once done.
    private final class Reading: Sendable {
        let queries: [UsageQueryMailbox.Query]
        let memories: [UsageInMemory?]
        let results = Mutex<[Result<StoredUsage, any Error>]?>(nil)

        init(queries: [UsageQueryMailbox.Query], memories: [UsageInMemory?]) {
            self.queries = queries
            self.memories = memories
        }
    }

    /// Called on every tick of the loop: finishes a run whose reads are done, or starts one for
    /// the waiting queries.
    mutating func serve(_ flusher: inout Flusher) async {
        if let reading {
            guard let results = reading.results.withLock({ $0 }) else { return }  // still reading: the hold stays
            self.reading = nil
            flusher.holdsWrites = false
            Self.answer(reading, results)
        }
        let queries = mailbox.takeAll()
        guard !queries.isEmpty else { return }
        guard let store else {
            for query in queries { query.continuation.resume(throwing: UsageQueryError.unavailable("no usage store")) }
            return
        }
        // Step 1.
        let requests = queries.map(\.request)
        guard let shardAnswers = await askShards(requests) else {
            for query in queries { query.continuation.resume(throwing: UsageQueryError.unavailable("meterd is stopping")) }
            return
        }
        // Step 2. `B` was read when the batch's write started (`Flusher.batchCommitsAs`).
        flusher.holdsWrites = true
        flusher.step()
        while flusher.isWritingWithoutCommitCounter {  // only right after start-up
            await uncancelledSleep(.milliseconds(1))
            flusher.step()
        }
        flusher.readBatchCommitsAsWhileIdle()
        var memories: [UsageInMemory?] = []
        for (request, shards) in zip(requests, shardAnswers) {
            let (pending, batch) = flusher.uncommitted(of: request.selection)
            if batch != nil && flusher.batchCommitsAs == nil {
                memories.append(nil)  // the batch's counter value is not known
            } else {
                memories.append(UsageInMemory(shards: shards, pending: pending, batch: batch,
                                              batchCommitsAs: batch == nil ? nil : flusher.batchCommitsAs))
            }
        }
        // Step 3, on the query thread; it wakes the loop when done.
        let reading = Reading(queries: queries, memories: memories)
        self.reading = reading
        let wake = mailbox.wake
        thread.submit {
            let results = requests.map { request in Result { try store.read(request) } }
            reading.results.withLock { $0 = results }
            wake.signal()
        }
    }

    /// At shutdown, after the mailbox is closed: waits for a run's reads and answers it.
    mutating func finish(_ flusher: inout Flusher) async {
        guard let reading else { return }
        while reading.results.withLock({ $0 }) == nil { await uncancelledSleep(.milliseconds(1)) }
        await serve(&flusher)
    }

    /// Step 4.
    private static func answer(_ reading: Reading, _ results: [Result<StoredUsage, any Error>]) {
        for (index, query) in reading.queries.enumerated() {
            guard let memory = reading.memories[index] else {
                query.continuation.resume(throwing: UsageQueryError.unavailable(
                    "the flush counter is not known yet (PostgreSQL not reached since start-up)"))
                continue
            }
            switch results[index] {
            case .failure(let error):
                query.continuation.resume(throwing: UsageQueryError.unavailable("the rollup store cannot be read: \(error)"))
            case .success(let stored):
                if let answer = UsageMerge.answer(query.request, stored: stored, memory: memory) {
                    query.continuation.resume(returning: answer)
                } else {
                    query.continuation.resume(throwing: UsageQueryError.unknownTenant(query.request.tenant))
                }
            }
        }
    }

    /// Each request's deltas from every shard; nil when the shard threads stopped.
    private func askShards(_ requests: [UsageRequest]) async -> [[RollupDelta]]? {
        struct Gathered {
            var remaining: Int
            var failed = false
            var deltas: [[RollupDelta]]
        }
        let gathered = Mutex(Gathered(remaining: requests.count, deltas: Array(repeating: [], count: requests.count)))
        return await withCheckedContinuation { (continuation: CheckedContinuation<[[RollupDelta]]?, Never>) in
            for (index, request) in requests.enumerated() {
                snapshots.request(request.selection, onShardTurn: request.onShardTurn) { deltas in
                    let finished = gathered.withLock { state -> Gathered? in
                        if let deltas { state.deltas[index] = deltas } else { state.failed = true }
                        state.remaining -= 1
                        return state.remaining == 0 ? state : nil
                    }
                    guard let finished else { return }
                    continuation.resume(returning: finished.failed ? nil : finished.deltas)
                }
            }
        }
    }
}
