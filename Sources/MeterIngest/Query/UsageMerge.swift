import MeterCore

/// What a usage query saw in memory (docs/queries.md, steps 1 and 2): the shards' un-collected
/// deltas, the flusher's pending rows, and the batch being written (or awaiting its retry)
/// with the flush counter value it commits as.
struct UsageInMemory: Sendable {
    var shards: [RollupDelta] = []
    var pending: [RollupDelta] = []
    var batch: [RollupDelta]?
    /// `B`: the counter value the batch commits as; nil when there is no batch.
    var batchCommitsAs: Int64?

    /// Whether any series of the selection is in memory.
    var isEmpty: Bool { shards.isEmpty && pending.isEmpty && (batch?.isEmpty ?? true) }
}

/// Step 4 of docs/queries.md: stored rows + shard answers + pending + (batch if `C < B`).
enum UsageMerge {
    /// The answer, or nil when the tenant is unknown (no stored row, nothing in memory).
    static func answer(_ request: UsageRequest, stored: StoredUsage, memory: UsageInMemory) -> UsageAnswer? {
        guard stored.tenantKnown || !memory.isEmpty else { return nil }
        var rows: [UsageSeriesID: [Int64: RollupValue]] = [:]
        for row in stored.rows {
            rows[row.series, default: [:]][row.bucketStart] = row.value
        }
        // The batch is in the stored rows exactly when its commit is visible in the snapshot.
        var deltas: [[RollupDelta]] = []
        if let batch = memory.batch, let commitsAs = memory.batchCommitsAs, stored.committedWrites < commitsAs {
            deltas.append(batch)
        }
        deltas.append(memory.pending)
        deltas.append(memory.shards)
        var decoded: [[UInt8]: UsageSeriesID?] = [:]
        for delta in deltas.joined() {
            let id: UsageSeriesID?
            if let known = decoded[delta.seriesKey] {
                id = known
            } else {
                id = UsageSeriesID(seriesKey: delta.seriesKey)
                decoded[delta.seriesKey] = id
            }
            guard let id, request.includes(metric: id.metric, dimensions: id.dimensions, grain: delta.grain,
                                           bucketStart: delta.bucketStart) else { continue }
            rows[id, default: [:]][delta.bucketStart, default: RollupValue(type: delta.type)].apply(delta)
        }
        let series = rows.map { id, buckets in
            UsageSeries(id: id, buckets: buckets.sorted { $0.key < $1.key }.map { UsageBucket(start: $0.key, value: $0.value) })
        }.sorted { $0.id < $1.id }
        return UsageAnswer(tenant: request.tenant, series: series)
    }
}
