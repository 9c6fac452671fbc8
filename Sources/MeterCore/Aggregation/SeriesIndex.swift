/// Open-addressing index from a series hash to a position in the aggregator's series array.
///
/// Linear probing with backward-shift deletion (no tombstones), load factor at most 1/2.
/// Each slot keeps the full hash so most mismatches are rejected without touching the key.
struct SeriesIndex {
    private struct Slot {
        var hash: UInt64
        /// Position in the series array; -1 marks an empty slot.
        var position: Int32
    }

    private var slots: [Slot]
    private(set) var count = 0

    init(minimumCapacity: Int = 64) {
        var size = 16
        while size < minimumCapacity * 2 { size *= 2 }
        slots = Array(repeating: Slot(hash: 0, position: -1), count: size)
    }

    var allocatedBytes: Int { slots.count * MemoryLayout<Slot>.stride }

    /// The position whose key `matches`, among those stored under `hash`.
    @inline(__always)
    func find(hash: UInt64, matches: (Int) -> Bool) -> Int? {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.position < 0 { return nil }
            if slot.hash == hash && matches(Int(slot.position)) { return Int(slot.position) }
            index = (index + 1) & mask
        }
    }

    mutating func insert(hash: UInt64, position: Int) {
        precondition(position < Int32.max, "series index overflow")
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].position >= 0 { index = (index + 1) & mask }
        slots[index] = Slot(hash: hash, position: Int32(position))
        count += 1
    }

    /// Removes the entry for `position`.
    mutating func remove(hash: UInt64, position: Int) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].position != Int32(position) {
            precondition(slots[index].position >= 0, "removing a series that is not indexed")
            index = (index + 1) & mask
        }
        // Backward-shift: move later entries of the probe run into the hole.
        var hole = index
        var next = (hole + 1) & mask
        while slots[next].position >= 0 {
            let home = Int(truncatingIfNeeded: slots[next].hash) & mask
            // The entry may move into the hole if its home is not cyclically within (hole, next].
            let distanceToNext = (next - home) & mask
            let distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToNext {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = Slot(hash: 0, position: -1)
        count -= 1
    }

    /// Points the entry for `from` at `to` (after the series array moved an element).
    mutating func move(hash: UInt64, from: Int, to: Int) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].position != Int32(from) {
            precondition(slots[index].position >= 0, "moving a series that is not indexed")
            index = (index + 1) & mask
        }
        slots[index].position = Int32(to)
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, position: -1), count: old.count * 2)
        count = 0
        for slot in old where slot.position >= 0 {
            insert(hash: slot.hash, position: Int(slot.position))
        }
    }
}
