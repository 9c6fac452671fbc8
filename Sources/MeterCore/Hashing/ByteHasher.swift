/// A seeded, non-cryptographic 64-bit hash over bytes, built for short keys.
///
/// Series keys arrive from the network, so the seed is chosen per process: a sender cannot
/// precompute colliding keys. Tables that use it always compare the full key as well,
/// so a collision costs time, never correctness.
public struct ByteHasher: Sendable, Hashable {
    public var seed: UInt64

    @inlinable
    public init(seed: UInt64) { self.seed = seed }

    /// A hasher with a seed drawn from the system's random source.
    public static func random() -> ByteHasher {
        var generator = SystemRandomNumberGenerator()
        return ByteHasher(seed: generator.next())
    }

    @inlinable static var multiplier: UInt64 { 0x9E37_79B9_7F4A_7C15 }

    /// Hashes `bytes`, continuing from `state` (start with `seed`).
    @inlinable
    public func combine(_ state: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = state ^ (UInt64(truncatingIfNeeded: bytes.count) &* ByteHasher.multiplier)
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            h = (h ^ word) &* ByteHasher.multiplier
            h ^= h >> 29
            index += 8
        }
        if index < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                tail |= UInt64(bytes[index]) << shift
                shift += 8
                index += 1
            }
            h = (h ^ tail) &* ByteHasher.multiplier
            h ^= h >> 29
        }
        return h
    }

    /// Mixes an integer into `state`.
    @inlinable
    public func combine(_ state: UInt64, _ value: UInt64) -> UInt64 {
        var h = (state ^ value) &* ByteHasher.multiplier
        h ^= h >> 29
        return h
    }

    /// The final avalanche (MurmurHash3's fmix64): every input bit affects every output bit.
    @inlinable
    public func finish(_ state: UInt64) -> UInt64 {
        var h = state
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    /// Hashes one byte string.
    @inlinable
    public func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        finish(combine(seed, bytes))
    }
}

/// A 128-bit fingerprint: two independently seeded 64-bit hashes. Used where a key is
/// remembered without its bytes (deduplication ids, set members), so a false match needs
/// a 128-bit collision.
public struct Fingerprint128: Sendable, Hashable {
    public var high: UInt64
    public var low: UInt64

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Starts a fingerprint; feed it parts with `adding(_:)` and read it with `value`.
    /// Each part's length is mixed in, so ("ab", "c") and ("a", "bc") differ.
    public struct Builder: Sendable {
        @usableFromInline let first: ByteHasher
        @usableFromInline let second: ByteHasher
        @usableFromInline var a: UInt64
        @usableFromInline var b: UInt64

        @inlinable
        public init(hasher: ByteHasher) {
            first = hasher
            second = ByteHasher(seed: hasher.seed ^ 0xA076_1D64_78BD_642F)
            a = first.seed
            b = second.seed
        }

        @inlinable
        public mutating func add(_ part: UnsafeRawBufferPointer) {
            a = first.combine(a, part)
            b = second.combine(b, part)
        }

        @inlinable
        public var value: Fingerprint128 {
            Fingerprint128(high: first.finish(a), low: second.finish(b))
        }
    }
}
