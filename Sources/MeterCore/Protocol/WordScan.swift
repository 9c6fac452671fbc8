/// Eight-bytes-at-a-time (SWAR) scans for `LineParser`: find the next delimiter and check, in
/// the same pass, that every byte before it belongs to a byte class.
///
/// A word holds up to eight bytes of the line, byte 0 in the lowest bits. Masks have `0x80`
/// set in the bytes they select. Two tricks, both exact per byte for 7-bit values `y`
/// (`0...0x7F`), because no addition below can carry out of a byte:
/// - `y + (0x80 - n)` has its high bit set exactly when `y >= n`;
/// - `(y ^ c) + 0x7F` has its high bit set exactly when `y != c`.
/// Bytes >= 0x80 are handled with the original word's high bits: they are in no name or key
/// class, and they are not control bytes.
///
/// Never reads outside the line: a full word is loaded at `index` only when
/// `index + 8 <= count`; near the end, the last eight bytes are loaded and shifted (or, for a
/// line shorter than eight bytes, the bytes are gathered one by one), leaving zero bytes past
/// the end, which callers mask off.
@usableFromInline
enum WordScan {
    /// The delimiters a scan stops at.
    @usableFromInline
    enum Stops {
        case colon
        case bar
        case commaOrBar
        case colonCommaOrBar
    }

    /// The byte class a scan checks the bytes before its stop against.
    @usableFromInline
    enum ByteClass {
        /// Any byte.
        case any
        /// `[A-Za-z0-9_.-]`: metric names and tenant ids.
        case name
        /// `[A-Za-z0-9_.-/]`: dimension keys.
        case tagKey
        /// Any byte except the control bytes (< 0x20 and 0x7F).
        case noControl
    }

    @inlinable static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable static var highs: UInt64 { 0x8080_8080_8080_8080 }
    @inlinable static var lows: UInt64 { 0x7F7F_7F7F_7F7F_7F7F }

    /// The bytes of `line` from `index` (up to eight), byte 0 lowest, zero bytes past the end.
    /// Requires `0 <= index < line.count`.
    @inlinable @inline(always)
    static func load(_ line: UnsafeRawBufferPointer, at index: Int) -> UInt64 {
        let count = line.count
        let base = line.baseAddress.unsafelyUnwrapped  // count > index >= 0: not empty
        let remaining = count &- index
        if remaining >= 8 {
            return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        }
        if count >= 8 {
            let last = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
            return last >> UInt64((8 &- remaining) &* 8)
        }
        var word: UInt64 = 0
        var shift: UInt64 = 0
        var position = index
        while position < count {
            word |= UInt64(line[position]) &<< shift
            shift &+= 8
            position &+= 1
        }
        return word
    }

    /// The low `length` bytes of a word (`length` in 1...8).
    @inlinable @inline(always)
    static func lowBytes(_ length: Int) -> UInt64 {
        UInt64.max >> UInt64((8 &- length) &* 8)
    }

    /// Marks the zero bytes of `x`. Only the lowest mark is exact (a borrow can mark a byte
    /// above a real zero byte), which is all a search for the first delimiter needs.
    @inlinable @inline(always)
    static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- ones) & ~x & highs
    }

    /// Marks delimiter bytes of `word`; the lowest mark is the first delimiter.
    @inlinable @inline(always)
    static func marks(_ word: UInt64, _ stops: Stops) -> UInt64 {
        let colon: UInt64 = 0x3A3A_3A3A_3A3A_3A3A
        let comma: UInt64 = 0x2C2C_2C2C_2C2C_2C2C
        let bar: UInt64 = 0x7C7C_7C7C_7C7C_7C7C
        switch stops {
        case .colon: return zeroBytes(word ^ colon)
        case .bar: return zeroBytes(word ^ bar)
        case .commaOrBar: return zeroBytes(word ^ comma) | zeroBytes(word ^ bar)
        case .colonCommaOrBar: return zeroBytes(word ^ colon) | zeroBytes(word ^ comma) | zeroBytes(word ^ bar)
        }
    }

    /// Marks, exactly, every byte of `word` outside `byteClass` (zero bytes included).
    @inlinable @inline(always)
    static func outside(_ word: UInt64, _ byteClass: ByteClass) -> UInt64 {
        let y = word & lows
        switch byteClass {
        case .any:
            return 0
        case .noControl:
            // y < 0x20: y + 0x60 stays below 0x80. y == 0x7F: y + 1 reaches 0x80.
            return (~(y &+ 0x6060_6060_6060_6060) | (y &+ ones)) & ~word & highs
        case .name, .tagKey:
            // A range lo...hi is `(y + (0x80 - lo)) ^ (y + (0x7F - hi))`: the first sum's high bit
            // says y >= lo, the second's y > hi, which implies the first.
            // Letters: y | 0x20 in 0x61...0x7A (folds A-Z onto a-z and nothing else there).
            let folded = y | 0x2020_2020_2020_2020
            let letter = (folded &+ 0x1F1F_1F1F_1F1F_1F1F) ^ (folded &+ 0x0505_0505_0505_0505)
            // 0x2D...0x39: - . / 0-9.
            var punctuationOrDigit = (y &+ 0x5353_5353_5353_5353) ^ (y &+ 0x4646_4646_4646_4646)
            if byteClass == .name {
                // Without '/': (y ^ 0x2F) + 0x7F has its high bit set unless y == 0x2F.
                punctuationOrDigit &= (y ^ 0x2F2F_2F2F_2F2F_2F2F) &+ lows
            }
            // '_': y in 0x5F...0x5F.
            let underscore = (y &+ 0x2121_2121_2121_2121) ^ (y &+ 0x2020_2020_2020_2020)
            return (~(letter | punctuationOrDigit | underscore) | word) & highs
        }
    }

    /// The index of the first stop byte at or after `start` (or `line.count`), whether every
    /// byte from `start` up to it is in `byteClass`, and the first word loaded (the bytes from
    /// `start`, as `load` gives them; 0 when `start` is at the end).
    @inlinable @inline(always)
    static func scan(_ line: UnsafeRawBufferPointer, from start: Int, to stops: Stops,
                     checking byteClass: ByteClass) -> (end: Int, clean: Bool, first: UInt64) {
        let count = line.count
        if start >= count { return (count, true, 0) }
        let first = load(line, at: start)
        var word = first
        var index = start
        var dirty: UInt64 = 0
        while true {
            let stopMarks = marks(word, stops)
            var bad = outside(word, byteClass)
            if stopMarks != 0 {
                // The lowest mark is bit 8 * k + 7 for the first stop byte k; a stop byte is
                // never a padding (zero) byte.
                let bit = stopMarks.trailingZeroBitCount
                bad &= (1 &<< UInt64(bit &- 7)) &- 1
                return (index &+ (bit &>> 3), dirty | bad == 0, first)
            }
            let remaining = count &- index
            if remaining <= 8 {
                bad &= lowBytes(remaining)
                return (count, dirty | bad == 0, first)
            }
            dirty |= bad
            index &+= 8
            word = load(line, at: index)
        }
    }

    /// Whether every byte of `line[range]` is in `byteClass`.
    @inlinable @inline(always)
    static func isClean(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, _ byteClass: ByteClass) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        var dirty: UInt64 = 0
        while index < end {
            var bad = outside(load(line, at: index), byteClass)
            let remaining = end &- index
            if remaining < 8 { bad &= lowBytes(remaining) }
            dirty |= bad
            index &+= 8
        }
        return dirty == 0
    }
}
