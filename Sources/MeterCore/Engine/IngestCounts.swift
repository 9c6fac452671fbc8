/// What one ingest worker did with the lines it was given; indexed arrays, no allocation per line.
public struct IngestCounts: Sendable, Hashable {
    /// Non-empty lines seen.
    public var lines = 0
    /// Lines accepted by the parser and handed to the ring.
    public var enqueued = 0
    /// Accepted lines the ring had no room for (counted only under the drop policy).
    public var droppedRingFull = 0
    /// Accepted lines too large for a ring shard or a batch (cannot happen with valid limits).
    public var droppedOversized = 0
    /// Refused lines by reason.
    public var refusals = RefusalCounts()

    public init() {}
}
