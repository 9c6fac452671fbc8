/// One generation's table: open addressing over 16-byte `Fingerprint128` slots, linear probing,
/// `DedupWindow.emptyMarker` (all zero bits) marking a free slot. Callers never store the
/// marker itself (see `DedupWindow.canonical(_:)`) and keep the table at most half full, so
/// every probe sequence ends at a free slot.
///
/// Entries are never removed one by one: a generation is dropped whole, by setting `count` to
/// zero. Its slots then still hold stale fingerprints (`needsClearing`) until the storage is
/// cleared for reuse or freed; a table with `count == 0` is never probed.
struct DedupTable: Sendable {
    /// The slots; `slots.count` is the table's capacity (any positive size: the home slot is
    /// found by multiply-shift, not masking). Empty when no storage is held.
    private(set) var slots: [Fingerprint128] = []
    /// Fingerprints stored (0 once dropped).
    var count = 0
    /// The time bucket this generation stands for: every fingerprint in it was inserted at a
    /// time whose bucket is at most `stamp`, and it expires once the window reaches bucket
    /// `stamp + DedupWindow.generations`.
    var stamp: Int64 = .min
    /// The latest `now` of the inserts into this generation (`.min` while it holds nothing).
    private(set) var latestArrival: Int64 = .min
    /// True when `slots` may hold stale fingerprints from a dropped generation.
    private(set) var needsClearing = false

    var capacity: Int { slots.count }

    /// The slot where probing for `key` starts. The fingerprint is mixed once more (callers'
    /// fingerprints are already uniform, but tests and tools feed sequential ones), then
    /// multiply-shift maps it onto `0 ..< capacity`.
    @inline(__always)
    static func home(of key: Fingerprint128, capacity: Int) -> Int {
        let mixed = (key.low ^ (key.high &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed.multipliedFullWidth(by: UInt64(capacity)).high)
    }

    /// Whether `key` is in the table, and the slot where it is or where probing stopped (a free slot).
    @inline(__always)
    static func probe(_ slots: UnsafeBufferPointer<Fingerprint128>, for key: Fingerprint128) -> (found: Bool, index: Int) {
        let capacity = slots.count
        var index = home(of: key, capacity: capacity)
        while true {
            let slot = slots[index]
            if slot.low == key.low && slot.high == key.high { return (true, index) }
            if slot.low | slot.high == 0 { return (false, index) }
            index += 1
            if index == capacity { index = 0 }
        }
    }

    /// Whether the table holds `key`. Only call on a table with `count > 0`.
    @inline(__always)
    func contains(_ key: Fingerprint128) -> Bool {
        slots.withUnsafeBufferPointer { DedupTable.probe($0, for: key).found }
    }

    /// Stores `key`, inserted at `now`, which the caller has checked is absent. The table must
    /// have room: `2 * (count + 1) <= capacity`.
    @inline(__always)
    mutating func insertAbsent(_ key: Fingerprint128, now: Int64) {
        slots.withUnsafeMutableBufferPointer { buffer in
            let (found, index) = DedupTable.probe(UnsafeBufferPointer(buffer), for: key)
            assert(!found, "insertAbsent called with a stored fingerprint")
            buffer[index] = key
        }
        count += 1
        needsClearing = true
        latestArrival = max(latestArrival, now)
    }

    /// Replaces the storage with `capacity` free slots, moving the stored fingerprints over.
    /// `capacity` must be 0 (only when `count == 0`) or at least `2 * count`.
    mutating func rehash(capacity newCapacity: Int) {
        precondition(newCapacity == 0 ? count == 0 : 2 * count <= newCapacity, "dedup table resized below its load limit")
        if count == 0 {
            slots = newCapacity == 0 ? [] : [Fingerprint128](repeating: DedupWindow.emptyMarker, count: newCapacity)
            needsClearing = false
            return
        }
        var fresh = [Fingerprint128](repeating: DedupWindow.emptyMarker, count: newCapacity)
        fresh.withUnsafeMutableBufferPointer { target in
            slots.withUnsafeBufferPointer { source in
                for key in source where key.low | key.high != 0 {
                    let (_, index) = DedupTable.probe(UnsafeBufferPointer(target), for: key)
                    target[index] = key
                }
            }
        }
        slots = fresh
    }

    /// Forgets every fingerprint, keeping the storage; O(1) (the slots are cleared on reuse).
    mutating func drop() {
        count = 0
        latestArrival = .min
    }

    /// Makes a dropped table's storage ready for a new generation (fills it with free slots).
    mutating func clearIfNeeded() {
        precondition(count == 0, "clearing a live dedup table")
        guard needsClearing else { return }
        slots.withUnsafeMutableBufferPointer { $0.update(repeating: DedupWindow.emptyMarker) }
        needsClearing = false
    }
}
