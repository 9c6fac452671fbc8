/// Everything the engine needs to be assembled; each field is a documented configuration key
/// (`config/limits.md`).
public struct EngineConfiguration: Sendable, Hashable {
    public var protocolLimits = ProtocolLimits()
    public var aggregatorLimits = AggregatorLimits()
    /// `ring.shards`
    public var shardCount = 8
    /// `ring.bytes_per_shard`
    public var bytesPerShard = 8 * 1024 * 1024
    /// `ingest.batch_bytes`
    public var batchBytes = 64 * 1024
    /// `dedup.window_seconds` (0 disables deduplication)
    public var dedupWindowSeconds: Int64 = 86_400
    /// `dedup.max_entries`, per shard
    public var dedupMaxEntries = 1_000_000

    public init() {}

    /// Problems with this configuration, one message per problem naming the key; empty when valid.
    public func validationErrors() -> [String] {
        var errors = protocolLimits.validationErrors() + aggregatorLimits.validationErrors()
        func check(_ ok: Bool, _ message: String) { if !ok { errors.append(message) } }
        check(shardCount >= 1 && shardCount <= 256, "ring.shards must be between 1 and 256")
        let record = IngestWorker.largestRecordBytes(protocolLimits)
        check(batchBytes >= record && batchBytes <= 16 * 1024 * 1024,
              "ingest.batch_bytes must be between \(record) (one record at protocol.max_line_bytes) and 16777216")
        check(bytesPerShard >= batchBytes && bytesPerShard <= 1 << 31,
              "ring.bytes_per_shard must be at least ingest.batch_bytes and at most 2147483648")
        check(dedupWindowSeconds >= 0, "dedup.window_seconds must not be negative")
        check(dedupMaxEntries >= 1, "dedup.max_entries must be at least 1")
        check(aggregatorLimits.maxLatenessSeconds == protocolLimits.maxLatenessSeconds,
              "the aggregator's lateness bound must equal protocol.max_lateness_seconds")
        return errors
    }

    /// Bytes a shard's consumer drains at most in one step (`ShardConsumer` batch capacity).
    public static func drainBatchBytes(batchBytes: Int) -> Int { Swift.max(4 * batchBytes, 256 * 1024) }
}
