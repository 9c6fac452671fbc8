/// What one shard's aggregator counted for the tenants whose quotas are evaluated live
/// (docs/quotas.md): per (tenant, metric, type) and hour bucket, the counter sum or the gauge
/// maximum of the events accepted since the last `take()`.
///
/// One owner, the shard's thread (like the aggregator). A tenant is counted only while it has
/// an epoch (`setEpoch`), set on the shard thread at the turn a seeding usage query answers:
/// events before that turn are in the query's answer, events after it come through the tap,
/// each tagged with the epoch so the tracker drops what an older seeding counted.
///
/// Cost per event of an uncounted tenant: one array read; of a counted one, a few more.
public final class ShardUsageTap {
    /// One (tenant, metric, type, hour) total handed to the tracker.
    public struct Delta: Sendable, Equatable {
        public let tenant: String
        public let metric: String
        public let type: MetricType
        public let epoch: UInt64
        /// Start of the UTC hour the events' timestamps fall in.
        public let hourStart: Int64
        /// Counters: the sum of the values. Gauges: zero.
        public let sum: QuantitySum
        /// Gauges: the largest value (units of 10^-6). Counters: `Int64.min`.
        public let maximum: Int64
        public let events: Int64

        public init(tenant: String, metric: String, type: MetricType, epoch: UInt64, hourStart: Int64,
                    sum: QuantitySum, maximum: Int64, events: Int64) {
            self.tenant = tenant
            self.metric = metric
            self.type = type
            self.epoch = epoch
            self.hourStart = hourStart
            self.sum = sum
            self.maximum = maximum
            self.events = events
        }
    }

    private struct Slot {
        let tenant: Int
        let metric: String
        let type: MetricType
        var hourStart: Int64 = 0
        var sum = QuantitySum.zero
        var maximum = Int64.min
        var events: Int64 = 0
        var dirty = false
    }

    private var tenantNames: [String] = []
    private var tenantEpochs: [UInt64] = []
    private var tenantPositions: [String: Int] = [:]
    private var slots: [Slot] = []
    private var slotPositions: [SlotKey: Int] = [:]
    private var dirtySlots: [Int] = []
    /// Totals of a slot whose events moved to another hour before `take()` (late events).
    private var spilled: [Delta] = []

    private struct SlotKey: Hashable {
        let tenant: Int
        let metric: String
        let type: MetricType
    }

    public init() {}

    /// Starts (epoch > 0) or stops (0) counting `tenant` from this moment on.
    public func setEpoch(_ epoch: UInt64, tenant: String) {
        let position = tenantPosition(tenant)
        // What was counted under the old epoch leaves under the old epoch.
        for slot in dirtySlots where slots[slot].tenant == position && slots[slot].events > 0 {
            spilled.append(delta(of: slot))
            reset(slot: slot)
            slots[slot].dirty = true  // still listed in dirtySlots; empty, so take() skips it
        }
        tenantEpochs[position] = epoch
    }

    /// The epoch `tenant` is counted under, 0 when it is not.
    public func epoch(of tenant: String) -> UInt64 {
        tenantPositions[tenant].map { tenantEpochs[$0] } ?? 0
    }

    /// The slot of a new series (once per series: it decodes two strings).
    func slot(tenant: UnsafeRawBufferPointer, metric: UnsafeRawBufferPointer, type: MetricType) -> Int32 {
        guard type != .set else { return -1 }  // set quotas are not evaluated live
        let tenantIndex = tenantPosition(String(decoding: tenant, as: UTF8.self))
        let key = SlotKey(tenant: tenantIndex, metric: String(decoding: metric, as: UTF8.self), type: type)
        if let found = slotPositions[key] { return Int32(found) }
        slots.append(Slot(tenant: tenantIndex, metric: key.metric, type: type))
        slotPositions[key] = slots.count - 1
        return Int32(slots.count - 1)
    }

    @inline(__always)
    func addCounter(slot position: Int32, hourStart: Int64, value: QuantitySum) {
        guard position >= 0 else { return }
        let slot = Int(position)
        guard tenantEpochs[slots[slot].tenant] != 0 else { return }
        prepare(slot: slot, hourStart: hourStart)
        slots[slot].sum.add(value)
        slots[slot].events += 1
    }

    @inline(__always)
    func addGauge(slot position: Int32, hourStart: Int64, value: Int64) {
        guard position >= 0 else { return }
        let slot = Int(position)
        guard tenantEpochs[slots[slot].tenant] != 0 else { return }
        prepare(slot: slot, hourStart: hourStart)
        slots[slot].maximum = max(slots[slot].maximum, value)
        slots[slot].events += 1
    }

    /// Everything counted since the last call, and starts afresh.
    public func take() -> [Delta] {
        guard !dirtySlots.isEmpty || !spilled.isEmpty else { return [] }
        var deltas = spilled
        spilled.removeAll(keepingCapacity: true)
        for slot in dirtySlots {
            if slots[slot].events > 0 { deltas.append(delta(of: slot)) }
            reset(slot: slot)
        }
        dirtySlots.removeAll(keepingCapacity: true)
        return deltas
    }

    // MARK: - Compaction

    /// Slots and tenants beyond this many more than the live series trigger a compaction.
    static let compactionSlack = 4096

    /// Whether forgotten series left enough unused slots and tenants to rebuild the tables.
    func needsCompaction(liveSeries: Int) -> Bool {
        let bound = 2 * liveSeries + Self.compactionSlack
        return slots.count > bound || tenantNames.count > bound
    }

    /// Rebuilds the tables keeping only the slots in `used` (the live series' slots) and the
    /// tenants they name or that are counted (a counted tenant keeps its epoch while it has
    /// no series). Pending counts leave first, under their epochs. Returns each old slot's new
    /// position (-1: dropped).
    func compact(keeping used: [Int32]) -> [Int32] {
        for slot in dirtySlots where slots[slot].events > 0 { spilled.append(delta(of: slot)) }
        for slot in dirtySlots { reset(slot: slot) }
        dirtySlots.removeAll(keepingCapacity: true)
        var keep = [Bool](repeating: false, count: slots.count)
        for slot in used where slot >= 0 { keep[Int(slot)] = true }
        let oldSlots = slots
        let oldNames = tenantNames
        let oldEpochs = tenantEpochs
        tenantNames = []
        tenantEpochs = []
        tenantPositions = [:]
        slots = []
        slotPositions = [:]
        for (name, epoch) in zip(oldNames, oldEpochs) where epoch != 0 {
            tenantEpochs[tenantPosition(name)] = epoch
        }
        var remap = [Int32](repeating: -1, count: oldSlots.count)
        for (old, slot) in oldSlots.enumerated() where keep[old] {
            let tenant = tenantPosition(oldNames[slot.tenant])
            tenantEpochs[tenant] = oldEpochs[slot.tenant]
            let key = SlotKey(tenant: tenant, metric: slot.metric, type: slot.type)
            slots.append(Slot(tenant: tenant, metric: slot.metric, type: slot.type))
            slotPositions[key] = slots.count - 1
            remap[old] = Int32(slots.count - 1)
        }
        return remap
    }

    var slotCount: Int { slots.count }

    private func prepare(slot: Int, hourStart: Int64) {
        if !slots[slot].dirty {
            slots[slot].dirty = true
            slots[slot].hourStart = hourStart
            dirtySlots.append(slot)
        } else if slots[slot].events == 0 {
            slots[slot].hourStart = hourStart
        } else if slots[slot].hourStart != hourStart {
            spilled.append(delta(of: slot))
            reset(slot: slot)
            slots[slot].dirty = true
            slots[slot].hourStart = hourStart
        }
    }

    private func delta(of slot: Int) -> Delta {
        let value = slots[slot]
        return Delta(tenant: tenantNames[value.tenant], metric: value.metric, type: value.type,
                     epoch: tenantEpochs[value.tenant], hourStart: value.hourStart, sum: value.sum,
                     maximum: value.maximum, events: value.events)
    }

    private func reset(slot: Int) {
        slots[slot].sum = .zero
        slots[slot].maximum = .min
        slots[slot].events = 0
        slots[slot].dirty = false
    }

    private func tenantPosition(_ tenant: String) -> Int {
        if let found = tenantPositions[tenant] { return found }
        tenantNames.append(tenant)
        tenantEpochs.append(0)
        tenantPositions[tenant] = tenantNames.count - 1
        return tenantNames.count - 1
    }
}
