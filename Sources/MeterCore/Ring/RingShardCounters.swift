/// Lifetime counters of one ring shard, for `/metrics`. Each only grows.
///
/// Read without the shard's lock, so the fields come from nearly the same instant but not
/// necessarily one: a scrape may see a push counted in `recordsPushed` whose records are
/// already in `recordsDrained` of a later value. Each field on its own is exact.
public struct RingShardCounters: Sendable, Hashable {
    /// Records copied into the shard.
    public var recordsPushed: Int
    /// Records moved out of the shard by drains.
    public var recordsDrained: Int
    /// Pushes that left records behind because the shard lacked room (partial pushes included).
    public var pushesRefused: Int
    /// Pushes that stopped at a record larger than the whole shard.
    public var oversizedRefusals: Int

    public init(recordsPushed: Int, recordsDrained: Int, pushesRefused: Int, oversizedRefusals: Int) {
        self.recordsPushed = recordsPushed
        self.recordsDrained = recordsDrained
        self.pushesRefused = pushesRefused
        self.oversizedRefusals = oversizedRefusals
    }
}
