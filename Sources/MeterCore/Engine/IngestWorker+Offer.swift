extension IngestWorker {
    /// What `offerReporting(line:now:)` did with a line.
    public enum LineOffer: Sendable, Hashable {
        /// Queued into the batch of `shard` (behind the records queued there before).
        case queued(shard: Int)
        case refused(RefusalReason)
        /// The batch of the line's shard is full and the ring cannot take it: nothing was
        /// counted; offer the same line again after a successful `publish()`.
        case blocked
    }

    /// Like `offer(line:now:)`, but says which shard took the line or why it was refused:
    /// an HTTP request maps each event's outcome back from the shard's report.
    public func offerReporting(line: UnsafeRawBufferPointer, now: Int64) -> LineOffer {
        switch enqueue(line: line, now: now) {
        case .refused(let reason): return .refused(reason)
        case .blocked: return .blocked
        case .queued:
            // `parsed` still describes `line`: the same choice `enqueue` made.
            return .queued(shard: ring.shardIndex(forHash: EventRecord.shardHash(of: parsed, in: line, hasher: hasher)))
        }
    }
}
