internal import CMeterCRC32C

/// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of every WAL
/// header and payload: the polynomial with the best error detection for these sizes among the
/// common ones, and the one x86-64 (SSE4.2) and ARMv8 compute in hardware.
///
/// `checksum` uses the CPU instruction when there is one (x86-64 with SSE4.2, through the tiny
/// C target `CMeterCRC32C`) and the portable slicing-by-8 table code otherwise. Both give the
/// same values; the tests check them against each other and known vectors, and the benchmark
/// measures both (docs/benchmarks.md, "WAL").
public enum CRC32C {
    /// True when `checksum` runs on the CPU's CRC32C instruction.
    public static let usesHardware: Bool = meter_crc32c_hardware_available() == 1

    /// The CRC32C of `bytes`, continuing from `previous` (the result of an earlier call over
    /// the bytes before these; 0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        usesHardware ? hardware(bytes, continuing: previous) : software(bytes, continuing: previous)
    }

    /// The CPU-instruction path; only valid when `usesHardware` is true.
    public static func hardware(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return previous }
        return ~meter_crc32c_hardware(~previous, base, bytes.count)
    }

    /// The portable path: slicing-by-8 (eight 256-entry tables, one 8-byte load per step).
    public static func software(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return previous }
        var crc = ~previous
        var offset = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            while count - offset >= 8 {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(low & 0xFF)]
                    ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)]
                    ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)]
                    ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                let byte = base.load(fromByteOffset: offset, as: UInt8.self)
                crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        return ~crc
    }

    /// Table k maps a byte to its CRC contribution k bytes further on (table 0 is the classic
    /// byte-at-a-time table).
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[byte] = crc
        }
        for byte in 0..<256 {
            var crc = tables[byte]
            for slice in 1..<8 {
                crc = tables[Int(crc & 0xFF)] ^ (crc >> 8)
                tables[slice * 256 + byte] = crc
            }
        }
        return tables
    }()
}
