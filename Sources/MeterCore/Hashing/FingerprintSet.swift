/// An open-addressing set of `Fingerprint128` values (linear probing, load factor at most 1/2).
///
/// 16 bytes per slot, so 32 to 64 bytes per member depending on where the table is between
/// doublings. Growing allocates; inserting a member already present never does.
public struct FingerprintSet: Sendable {
    /// The value that marks an empty slot; a fingerprint equal to it is stored as `emptyStandIn`.
    @inlinable static var empty: Fingerprint128 { Fingerprint128(high: 0, low: 0) }
    @inlinable static var emptyStandIn: Fingerprint128 { Fingerprint128(high: 0, low: 1) }

    @usableFromInline var slots: [Fingerprint128]
    public private(set) var count = 0

    public init(minimumCapacity: Int = 8) {
        var size = 8
        while size < minimumCapacity * 2 { size *= 2 }
        slots = Array(repeating: FingerprintSet.empty, count: size)
    }

    /// Bytes held by the table.
    public var allocatedBytes: Int { slots.count * MemoryLayout<Fingerprint128>.stride }

    public func contains(_ fingerprint: Fingerprint128) -> Bool {
        let value = fingerprint == FingerprintSet.empty ? FingerprintSet.emptyStandIn : fingerprint
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: value.low) & mask
        while true {
            let slot = slots[index]
            if slot == value { return true }
            if slot == FingerprintSet.empty { return false }
            index = (index + 1) & mask
        }
    }

    /// Inserts `fingerprint`; returns true when it was not already present.
    @discardableResult
    public mutating func insert(_ fingerprint: Fingerprint128) -> Bool {
        let value = fingerprint == FingerprintSet.empty ? FingerprintSet.emptyStandIn : fingerprint
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: value.low) & mask
        while true {
            let slot = slots[index]
            if slot == value { return false }
            if slot == FingerprintSet.empty {
                slots[index] = value
                count += 1
                return true
            }
            index = (index + 1) & mask
        }
    }

    public mutating func removeAll() {
        for index in slots.indices { slots[index] = FingerprintSet.empty }
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: FingerprintSet.empty, count: old.count * 2)
        count = 0
        for value in old where value != FingerprintSet.empty { insert(value) }
    }
}
