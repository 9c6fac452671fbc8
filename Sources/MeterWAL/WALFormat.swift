/// The on-disk format, byte by byte (docs/wal.md). All integers little-endian.
///
/// Segment file `<base LSN as 20 decimal digits>.seg`, starting with a 32-byte header:
///
///     0  8 bytes  magic "meterWAL"
///     8  UInt32   format version (1)
///     12 UInt32   header bytes (32)
///     16 Int64    base LSN (equal to the number in the file name)
///     24 UInt32   CRC32C of bytes 0..<24
///     28 UInt32   reserved (0)
///
/// then entries, each at the LSN `base + file offset`:
///
///     0  UInt32   magic "WAL1" (0x314C4157)
///     4  UInt32   payload length (1 ... maxEntryBytes)
///     8  UInt32   CRC32C of the payload
///     12 UInt32   CRC32C of the entry's LSN (Int64) followed by bytes 0..<12
///     16 payload, then zero padding to a multiple of 8 bytes
///
/// The header checksum covers the entry's own LSN, so bytes left at another position (a
/// recycled or preallocated region) can never pass for an entry here.
public enum WALFormat {
    public static let segmentHeaderBytes = 32
    public static let entryHeaderBytes = 16
    public static let version: UInt32 = 1
    static let segmentMagic: [UInt8] = Array("meterWAL".utf8)
    static let entryMagic: UInt32 = 0x314C_4157
    static let segmentSuffix = ".seg"

    /// Bytes an entry with a payload of `payloadBytes` takes in the log (header and padding included).
    @inlinable
    public static func entryBytes(payloadBytes: Int) -> Int {
        16 + ((payloadBytes + 7) & ~7)
    }

    /// `00000000000000000000.seg` style name of the segment starting at `base`.
    static func segmentName(base: Int64) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + segmentSuffix
    }

    /// The base LSN in a segment file name, or nil when the name is not a segment's.
    static func segmentBase(fromName name: String) -> Int64? {
        guard name.hasSuffix(segmentSuffix) else { return nil }
        let digits = name.dropLast(segmentSuffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int64(digits)
    }

    static func writeSegmentHeader(base: Int64, to destination: UnsafeMutableRawPointer) {
        for (index, byte) in segmentMagic.enumerated() {
            destination.storeBytes(of: byte, toByteOffset: index, as: UInt8.self)
        }
        destination.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
        destination.storeBytes(of: UInt32(segmentHeaderBytes).littleEndian, toByteOffset: 12, as: UInt32.self)
        destination.storeBytes(of: base.littleEndian, toByteOffset: 16, as: Int64.self)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: destination, count: 24))
        destination.storeBytes(of: crc.littleEndian, toByteOffset: 24, as: UInt32.self)
        destination.storeBytes(of: UInt32(0), toByteOffset: 28, as: UInt32.self)
    }

    /// Why a segment header is not valid, or nil when it is valid for a segment starting at `base`.
    static func segmentHeaderProblem(_ bytes: UnsafeRawBufferPointer, base: Int64) -> String? {
        guard bytes.count >= segmentHeaderBytes else { return "file shorter than the segment header (\(bytes.count) bytes)" }
        for (index, byte) in segmentMagic.enumerated() where bytes[index] != byte {
            return "bad segment magic"
        }
        let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
        guard crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<24])) else {
            return "segment header checksum mismatch"
        }
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == Self.version else { return "unsupported segment format version \(version)" }
        let headerBytes = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard headerBytes == UInt32(segmentHeaderBytes) else { return "unexpected segment header size \(headerBytes)" }
        let stored = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: Int64.self))
        guard stored == base else { return "header base LSN \(stored) differs from the file name's \(base)" }
        return nil
    }

    /// Writes the entry for `payload` at `lsn` into `destination`, which holds at least
    /// `entryBytes(payloadBytes: payload.count)` bytes.
    static func writeEntry(_ payload: UnsafeRawBufferPointer, lsn: Int64, payloadCRC: UInt32,
                           to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: entryMagic.littleEndian, as: UInt32.self)
        destination.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 4, as: UInt32.self)
        destination.storeBytes(of: payloadCRC.littleEndian, toByteOffset: 8, as: UInt32.self)
        let headerCRC = entryHeaderCRC(lsn: lsn, firstTwelve: UnsafeRawBufferPointer(start: destination, count: 12))
        destination.storeBytes(of: headerCRC.littleEndian, toByteOffset: 12, as: UInt32.self)
        if let source = payload.baseAddress, !payload.isEmpty {
            (destination + entryHeaderBytes).copyMemory(from: source, byteCount: payload.count)
        }
        let padded = (payload.count + 7) & ~7
        if padded > payload.count {
            (destination + entryHeaderBytes + payload.count).initializeMemory(as: UInt8.self, repeating: 0,
                                                                            count: padded - payload.count)
        }
    }

    static func entryHeaderCRC(lsn: Int64, firstTwelve: UnsafeRawBufferPointer) -> UInt32 {
        withUnsafeBytes(of: lsn.littleEndian) { lsnBytes in
            CRC32C.checksum(firstTwelve, continuing: CRC32C.checksum(lsnBytes))
        }
    }

    /// What is found at one position of a segment.
    enum EntryScan: Equatable {
        /// A valid entry: its payload starts `entryHeaderBytes` after the position.
        case entry(payloadBytes: Int, totalBytes: Int)
        /// No entry starts here: the rest of the segment is too short for a header, or the
        /// header is all zeros (unwritten or preallocated space): the clean end of the log.
        case end
        /// Something is here, but not a valid entry (torn write or corruption).
        case invalid(String)
    }

    /// Reads the entry at `offset` of `segment` (a segment's bytes from its start), whose LSN is `lsn`.
    static func scanEntry(in segment: UnsafeRawBufferPointer, at offset: Int, lsn: Int64, maxEntryBytes: Int) -> EntryScan {
        let available = segment.count - offset
        if available <= 0 { return .end }
        if available < entryHeaderBytes {
            return isZero(UnsafeRawBufferPointer(rebasing: segment[offset...])) ? .end : .invalid("entry header cut short")
        }
        let header = UnsafeRawBufferPointer(rebasing: segment[offset..<(offset + entryHeaderBytes)])
        if isZero(header) { return .end }
        let magic = UInt32(littleEndian: header.loadUnaligned(as: UInt32.self))
        guard magic == entryMagic else { return .invalid("bad entry magic") }
        let storedHeaderCRC = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard storedHeaderCRC == entryHeaderCRC(lsn: lsn, firstTwelve: UnsafeRawBufferPointer(rebasing: header[0..<12])) else {
            return .invalid("entry header checksum mismatch")
        }
        let payloadBytes = Int(UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard payloadBytes > 0, payloadBytes <= maxEntryBytes else {
            return .invalid("entry payload length \(payloadBytes) outside 1...\(maxEntryBytes)")
        }
        let total = entryBytes(payloadBytes: payloadBytes)
        guard total <= available else { return .invalid("entry cut short (\(available) of \(total) bytes)") }
        let payload = UnsafeRawBufferPointer(rebasing: segment[(offset + entryHeaderBytes)..<(offset + entryHeaderBytes + payloadBytes)])
        let storedPayloadCRC = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard storedPayloadCRC == CRC32C.checksum(payload) else { return .invalid("entry payload checksum mismatch") }
        return .entry(payloadBytes: payloadBytes, totalBytes: total)
    }

    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        let count = bytes.count
        while count - offset >= 8 {
            if bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != 0 { return false }
            offset += 8
        }
        while offset < count {
            if bytes[offset] != 0 { return false }
            offset += 1
        }
        return true
    }
}
