/// Splits a buffer that holds whole lines (a UDP datagram, an HTTP body) into lines.
///
/// Rules, shared with `StreamLineFramer`:
/// - lines end at `\n`; one `\r` right before it (or at the very end) is removed, so `\r\n`
///   terminators work;
/// - empty lines (after removing the `\r`) are skipped;
/// - a final piece without a terminator is a line: a datagram usually has no final newline.
///
/// No length limit is applied here: `LineParser` refuses overlong lines as `lineTooLong`.
/// Lines are slices of `buffer`, never copies.
public enum LineSplitter {
    /// Calls `body` with each non-empty line of `buffer`, in order, without its terminator.
    @inlinable
    public static func forEachLine(in buffer: UnsafeRawBufferPointer,
                                   _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let count = buffer.count
        var start = 0
        while start < count {
            let terminator = ByteScan.firstIndex(of: ByteScan.newline, in: buffer, from: start) ?? count
            let length = ByteScan.lengthWithoutCarriageReturn(buffer, start ..< terminator)
            if length > 0 {
                try body(UnsafeRawBufferPointer(rebasing: buffer[start ..< start + length]))
            }
            start = terminator + 1
        }
    }
}

/// Byte searches shared by the line splitter and the stream framer.
@usableFromInline
enum ByteScan {
    @inlinable static var newline: UInt8 { UInt8(ascii: "\n") }
    @inlinable static var carriageReturn: UInt8 { UInt8(ascii: "\r") }

    /// The index of the first `byte` in `buffer` at or after `start`, or nil.
    ///
    /// Compares eight bytes at a time (SWAR): `word ^ pattern` has a zero byte exactly where
    /// `byte` occurs, and `(x - 0x01..01) & ~x & 0x80..80` marks zero bytes. Bits above the
    /// first true zero byte may be false positives (borrows), but the lowest marked bit is
    /// always the first match, which is all this needs. Never reads outside `buffer`.
    @inlinable
    static func firstIndex(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let count = buffer.count
        var index = Swift.max(start, 0)
        guard index < count, let base = buffer.baseAddress else { return nil }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let pattern = UInt64(byte) &* ones
        while count - index >= 8 {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ pattern
            let marks = (word &- ones) & ~word & highs
            if marks != 0 { return index + (marks.trailingZeroBitCount >> 3) }
            index += 8
        }
        while index < count {
            if buffer[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// The length of `range` in `buffer` once one trailing `\r` is removed.
    @inlinable
    static func lengthWithoutCarriageReturn(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int {
        if !range.isEmpty && buffer[range.upperBound - 1] == carriageReturn { return range.count - 1 }
        return range.count
    }
}
