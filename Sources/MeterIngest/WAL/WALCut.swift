/// The WAL positions a set of flushed deltas covers, per shard: for shard `s` at position
/// `p`, every entry that shard appended before `p` is in the deltas (or in an earlier commit),
/// and none after. Merging keeps the largest position per shard.
public struct WALCut: Sendable, Hashable {
    public private(set) var positions: [Int: Int64]

    public init(positions: [Int: Int64] = [:]) {
        self.positions = positions
    }

    public var isEmpty: Bool { positions.isEmpty }

    public mutating func advance(shard: Int, to position: Int64) {
        positions[shard] = max(positions[shard] ?? position, position)
    }

    public mutating func merge(_ other: WALCut) {
        for (shard, position) in other.positions { advance(shard: shard, to: position) }
    }

    /// The furthest position: the WAL must be durable up to here before the deltas commit.
    public var maximum: Int64? { positions.values.max() }
    /// The nearest position: every entry before it is committed, so the WAL may release it.
    public var minimum: Int64? { positions.values.min() }

    /// True when some shard's position is beyond `other`'s (or `other` lacks the shard).
    public func isAhead(of other: WALCut) -> Bool {
        positions.contains { shard, position in position > (other.positions[shard] ?? Int64.min) }
    }
}

/// Which WAL entries start-up replays, from the per-shard positions of the last commit: an
/// entry tagged with shard `s` that starts at `lsn` is replayed iff `lsn >= position[s]`. A
/// shard the checkpoint does not name (the shard count changed) uses the smallest position,
/// or 0 when there is none.
public struct WALReplayFilter: Sendable, Hashable {
    public let cut: WALCut
    /// Where replay starts reading: the smallest position (0 without any).
    public let start: Int64

    public init(_ cut: WALCut) {
        self.cut = cut
        start = cut.minimum ?? 0
    }

    public func replays(shard: Int, lsn: Int64) -> Bool {
        lsn >= (cut.positions[shard] ?? start)
    }
}
