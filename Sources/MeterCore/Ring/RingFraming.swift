/// Reads the record framing of `RecordBatch` (little-endian `UInt32` total length, prefix
/// included, then the body) in a contiguous run of framed bytes, such as a batch's bytes.
///
/// Every read is checked against the run's bounds, so a corrupt length traps here instead of
/// letting a copy run past a buffer.
enum RingFraming {
    /// The framed length of the record starting at `offset` in `bytes`.
    static func length(at offset: Int, in bytes: UnsafeRawBufferPointer) -> Int {
        precondition(offset >= 0 && bytes.count - offset >= RecordBatch.prefixBytes, "corrupt record framing")
        let total = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        precondition(total >= RecordBatch.prefixBytes && total <= bytes.count - offset, "corrupt record framing")
        return total
    }

    /// Records that start before `offset`. Traps unless `offset` is a record boundary: a push
    /// from the middle of a record would put garbage framing into the ring.
    static func recordCount(in bytes: UnsafeRawBufferPointer, before offset: Int) -> Int {
        var position = 0
        var records = 0
        while position < offset {
            position += length(at: position, in: bytes)
            records += 1
        }
        precondition(position == offset, "byte offset is not on a record boundary")
        return records
    }

    /// The longest run of whole records from the start of `bytes` whose total is at most
    /// `room`, and the framed length of the first record left out (0 when all fit).
    static func span(in bytes: UnsafeRawBufferPointer, fitting room: Int) -> (bytes: Int, records: Int, blockingLength: Int) {
        var position = 0
        var records = 0
        while position < bytes.count {
            let total = length(at: position, in: bytes)
            if total > room - position { return (position, records, total) }
            position += total
            records += 1
        }
        return (position, records, 0)
    }
}
