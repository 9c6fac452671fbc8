/// The bytes of one ring shard: a fixed circular buffer of framed records, oldest at `head`.
///
/// Not thread-safe; `RingShard` keeps it inside its lock. Noncopyable because it owns its
/// allocation: the buffer is allocated once here and freed in `deinit`, so a shard's memory
/// is exactly `capacity` bytes for its whole life.
///
/// Invariants: `0 <= head < capacity`, `0 <= usedBytes <= capacity`, and the `usedBytes`
/// bytes from `head` (wrapping at `capacity`) are exactly `usedRecords` whole records. A
/// record, its length prefix included, may be split at the end of the buffer; no byte is
/// ever skipped or padded.
///
/// `@unchecked Sendable`: the only instance of each lives inside its shard's `Mutex` and,
/// being noncopyable, cannot be copied out of it, so only the lock holder reaches the
/// buffer. The conformance lets the lock holder copy between the ring and the caller's
/// batch, which region checking otherwise refuses for a value behind `inout sending`.
struct RingStorage: ~Copyable, @unchecked Sendable {
    let capacity: Int
    /// Offset of the oldest record's first byte.
    private(set) var head = 0
    private(set) var usedBytes = 0
    private(set) var usedRecords = 0
    private let base: UnsafeMutableRawPointer

    init(capacity: Int) {
        precondition(capacity > RecordBatch.prefixBytes, "a ring shard must hold at least one byte of body")
        self.capacity = capacity
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    var freeBytes: Int { capacity - usedBytes }

    /// Offset where the next record goes.
    var tail: Int { wrapped(head + usedBytes) }

    /// `offset` folded into the buffer; callers never pass more than twice the capacity.
    private func wrapped(_ offset: Int) -> Int {
        offset >= capacity ? offset - capacity : offset
    }

    /// Copies `records` whole framed records in `source` after the newest record:
    /// one copy up to the end of the buffer, a second from its start when the run wraps.
    mutating func append(_ source: UnsafeRawBufferPointer, records: Int) {
        precondition(source.count <= freeBytes, "ring append larger than free space")
        guard let sourceBase = source.baseAddress, source.count > 0 else { return }
        let start = tail
        // First part: from the tail up to the end of the buffer at most.
        let first = min(source.count, capacity - start)
        (base + start).copyMemory(from: sourceBase, byteCount: first)
        // Second part: from the buffer's start. It ends at or before `head`, since
        // source.count <= capacity - usedBytes, so it never overwrites an unread byte.
        if first < source.count {
            base.copyMemory(from: sourceBase + first, byteCount: source.count - first)
        }
        usedBytes += source.count
        usedRecords += records
    }

    /// The framed length of the record that starts `distance` bytes after `head`
    /// (a record boundary). Its prefix may itself be split at the end of the buffer.
    func framedLength(atDistance distance: Int) -> Int {
        precondition(distance >= 0 && usedBytes - distance >= RecordBatch.prefixBytes, "ring read past its records")
        let offset = wrapped(head + distance)
        var raw: UInt32 = 0
        if capacity - offset >= RecordBatch.prefixBytes {
            raw = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        } else {
            for index in 0..<RecordBatch.prefixBytes {
                let byte = base.load(fromByteOffset: wrapped(offset + index), as: UInt8.self)
                raw |= UInt32(byte) << UInt32(8 * index)
            }
        }
        let total = Int(raw)
        precondition(total >= RecordBatch.prefixBytes && total <= usedBytes - distance, "corrupt record framing in ring")
        return total
    }

    /// The longest run of whole records from `head` whose total is at most `room`.
    func headSpan(fitting room: Int) -> (bytes: Int, records: Int) {
        // Everything fits: the common case for a consumer whose batch is at least as large
        // as the shard, and it needs no walk over the prefixes.
        if usedBytes <= room { return (usedBytes, usedRecords) }
        var bytes = 0
        var records = 0
        while records < usedRecords {
            let total = framedLength(atDistance: bytes)
            if total > room - bytes { break }
            bytes += total
            records += 1
        }
        return (bytes, records)
    }

    /// Copies the oldest `records` records, `destination.count` bytes in all (a span from
    /// `headSpan`), into `destination` and frees their room: one or two copies.
    mutating func removeFirst(records: Int, into destination: UnsafeMutableRawBufferPointer) {
        let count = destination.count
        precondition(count <= usedBytes && records <= usedRecords, "ring removal past its records")
        guard let destinationBase = destination.baseAddress, count > 0 else { return }
        let first = min(count, capacity - head)
        destinationBase.copyMemory(from: base + head, byteCount: first)
        if first < count {
            (destinationBase + first).copyMemory(from: base, byteCount: count - first)
        }
        head = wrapped(head + count)
        usedBytes -= count
        usedRecords -= records
    }
}
