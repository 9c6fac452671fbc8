/// Configuration of idempotency deduplication (see `docs/dedup.md`). Each key is a
/// configuration key; the defaults suit a production deployment.
public struct DedupSettings: Sendable, Hashable {
    /// How long an idempotency key is at least remembered, in seconds of arrival time;
    /// 0 disables deduplication. `dedup.window_seconds`.
    public var windowSeconds: Int64 = 86_400
    /// The most keys remembered per aggregator shard; beyond it the window forgets its oldest
    /// keys early (see `DedupWindow.evictedBeforeExpiry`). `dedup.max_entries`.
    public var maxEntries: Int = 1_000_000

    public init() {}

    /// Problems with these settings, one message per problem naming the key; empty when valid.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if windowSeconds < 0 {
            errors.append("dedup.window_seconds must not be negative")
        }
        if windowSeconds > 0 && (maxEntries < 1 || maxEntries > DedupWindow.maxEntriesLimit) {
            errors.append("dedup.max_entries must be between 1 and \(DedupWindow.maxEntriesLimit)")
        }
        return errors
    }

    /// A shard's window for these settings, which must be valid.
    public func makeWindow() -> DedupWindow {
        DedupWindow(windowSeconds: windowSeconds, maxEntries: maxEntries)
    }

    /// The most memory one shard's window may hold, in bytes (0 when disabled). The settings
    /// must be valid.
    public var maxBytesPerShard: Int {
        DedupWindow.maxAllocatedBytes(windowSeconds: windowSeconds, maxEntries: maxEntries)
    }
}
