import MeterCore
import Synchronization

/// Runs the usage query protocol (docs/queries.md) on the aggregation loop, between flush
/// rounds, for every query waiting in the mailbox at once:
/// 1. ask the shards (no round is requested meanwhile: the loop is here);
/// 2. read the flusher's uncommitted rows and the counter value its batch commits as, and hold
///    its writes;
/// 3. read the store on the query thread (one snapshot: rows and counter `C`);
/// 4. release the hold and combine.
struct UsageQueryRunner {
    let mailbox: UsageQueryMailbox
    let snapshots: ShardSnapshotRequests
    let store: (any UsageStore)?
    /// The query thread: store reads block (libpq), never on the cooperative pool.
    let thread: FlushWriterThread

    func serve(_ flusher: inout Flusher) async {
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
        defer { flusher.holdsWrites = false }
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
        // Step 3.
        let stored = await read(requests, from: store)
        // Step 4 (the hold ends with this function).
        for index in queries.indices {
            let query = queries[index]
            guard let memory = memories[index] else {
                query.continuation.resume(throwing: UsageQueryError.unavailable(
                    "the flush counter is not known yet (PostgreSQL not reached since start-up)"))
                continue
            }
            switch stored[index] {
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

    /// Step 3 for every request, one after the other on the query thread.
    private func read(_ requests: [UsageRequest], from store: any UsageStore) async -> [Result<StoredUsage, any Error>] {
        await withCheckedContinuation { continuation in
            thread.submit {
                continuation.resume(returning: requests.map { request in Result { try store.read(request) } })
            }
        }
    }
}
