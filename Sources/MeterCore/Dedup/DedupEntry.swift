/// One remembered idempotency key as persisted: its fingerprint (`DedupWindow.fingerprint`) and
/// its arrival time in Unix seconds.
public struct DedupEntry: Sendable, Hashable {
    public var fingerprint: Fingerprint128
    public var arrival: Int64

    public init(fingerprint: Fingerprint128, arrival: Int64) {
        self.fingerprint = fingerprint
        self.arrival = arrival
    }
}

/// The idempotency keys newly counted by each shard since an earlier point (one or more flush
/// rounds), to be persisted in the same transaction as the deltas of the events they belong to.
public struct SeenIDs: Sendable, Hashable {
    /// Shard → its new keys, in insertion order.
    public private(set) var byShard: [Int: [DedupEntry]] = [:]
    /// Keys held, over every shard.
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    public mutating func add(shard: Int, _ entries: [DedupEntry]) {
        guard !entries.isEmpty else { return }
        byShard[shard, default: []].append(contentsOf: entries)
        count += entries.count
    }

    public mutating func merge(_ other: SeenIDs) {
        for (shard, entries) in other.byShard { add(shard: shard, entries) }
    }

    /// Keeps at most `limit` keys, dropping the oldest arrivals of the largest shards first;
    /// returns how many were dropped.
    @discardableResult
    public mutating func trim(toAtMost limit: Int) -> Int {
        var dropped = 0
        while count > limit, let (shard, entries) = byShard.max(by: { $0.value.count < $1.value.count }) {
            let excess = min(count - limit, max(1, entries.count / 2))
            byShard[shard] = Array(entries.dropFirst(excess))
            count -= excess
            dropped += excess
        }
        return dropped
    }

    /// Takes every key, leaving this empty.
    public mutating func take() -> SeenIDs {
        defer { self = SeenIDs() }
        return self
    }
}
