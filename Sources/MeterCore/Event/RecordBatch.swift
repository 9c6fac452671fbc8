/// A bounded, contiguous buffer of length-prefixed records: the unit that producers push
/// into a ring shard and consumers drain from it.
///
/// Framing: each record is a little-endian `UInt32` total length (prefix included) followed
/// by its body. The buffer is allocated once, so filling and reusing a batch never allocates.
/// A batch has one owner at a time; it is not shared between threads.
public final class RecordBatch {
    /// Bytes in the length prefix of every record.
    @inlinable public static var prefixBytes: Int { 4 }

    /// Total bytes the batch can hold.
    public let capacity: Int
    /// Bytes in use, prefixes included.
    @inlinable public var byteCount: Int { usedBytes }
    /// Whole records in the batch.
    @inlinable public var recordCount: Int { usedRecords }

    // One owner at a time (see above): skip the runtime exclusivity checks on the hot counters.
    @exclusivity(unchecked) @usableFromInline var usedBytes = 0
    @exclusivity(unchecked) @usableFromInline var usedRecords = 0

    @usableFromInline let storage: UnsafeMutableRawPointer

    public init(capacity: Int) {
        precondition(capacity > RecordBatch.prefixBytes, "a record batch must hold at least one byte of body")
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    public var isEmpty: Bool { recordCount == 0 }
    public var freeBytes: Int { capacity - byteCount }

    /// The framed bytes in use.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage, count: byteCount)
    }

    public func removeAll() {
        usedBytes = 0
        usedRecords = 0
    }

    /// Appends one record whose body is `bodyBytes` long, written by `write` into exactly
    /// that many bytes. Returns false, appending nothing, when the batch lacks room.
    @inlinable
    @discardableResult
    public func append(bodyBytes: Int, _ write: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        let total = bodyBytes + RecordBatch.prefixBytes
        guard bodyBytes >= 0, total <= UInt32.max, total <= capacity - byteCount else { return false }
        let start = storage + byteCount
        start.storeBytes(of: UInt32(total).littleEndian, as: UInt32.self)
        write(UnsafeMutableRawBufferPointer(start: start + RecordBatch.prefixBytes, count: bodyBytes))
        usedBytes += total
        usedRecords += 1
        return true
    }

    /// Appends bytes that are already framed (whole records, as a ring shard stores them).
    /// `write` fills exactly `byteCount` bytes holding `recordCount` records.
    /// Returns false, appending nothing, when the batch lacks room.
    @inlinable
    @discardableResult
    public func appendFramed(byteCount framedBytes: Int, recordCount framedRecords: Int,
                             _ write: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        guard framedBytes >= 0, framedBytes <= capacity - byteCount else { return false }
        write(UnsafeMutableRawBufferPointer(start: storage + byteCount, count: framedBytes))
        usedBytes += framedBytes
        usedRecords += framedRecords
        return true
    }

    /// Calls `body` with each record's body, in order.
    @inlinable
    public func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var offset = 0
        let end = byteCount
        while offset + RecordBatch.prefixBytes <= end {
            let total = Int(UInt32(littleEndian: (storage + offset).loadUnaligned(as: UInt32.self)))
            precondition(total >= RecordBatch.prefixBytes && offset + total <= end, "corrupt record framing")
            try body(UnsafeRawBufferPointer(start: storage + offset + RecordBatch.prefixBytes,
                                             count: total - RecordBatch.prefixBytes))
            offset += total
        }
    }
}
