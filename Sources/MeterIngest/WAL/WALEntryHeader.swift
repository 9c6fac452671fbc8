/// The header of the WAL entry a shard thread appends for each batch it drains: 8 bytes,
/// little-endian, then the batch's framed records (`RecordBatch.bytes`).
///
///     UInt16 shard index (of the shard count that wrote it)
///     UInt16 format version (1)
///     UInt32 record count
public struct WALEntryHeader: Sendable, Hashable {
    public static let bytes = 8
    public static let currentVersion: UInt16 = 1

    public var shard: Int
    public var version: UInt16
    public var recordCount: Int

    public init(shard: Int, version: UInt16 = currentVersion, recordCount: Int) {
        self.shard = shard
        self.version = version
        self.recordCount = recordCount
    }

    public func write(to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: UInt16(truncatingIfNeeded: shard).littleEndian, as: UInt16.self)
        (destination + 2).storeBytes(of: version.littleEndian, as: UInt16.self)
        (destination + 4).storeBytes(of: UInt32(truncatingIfNeeded: recordCount).littleEndian, as: UInt32.self)
    }

    /// The header and the framed records of one entry's payload; nil when it is too short.
    public static func parse(_ payload: UnsafeRawBufferPointer) -> (header: WALEntryHeader, records: UnsafeRawBufferPointer)? {
        guard payload.count >= bytes else { return nil }
        let shard = Int(UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        let version = UInt16(littleEndian: payload.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let count = Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        return (WALEntryHeader(shard: shard, version: version, recordCount: count),
                UnsafeRawBufferPointer(rebasing: payload[bytes...]))
    }
}
