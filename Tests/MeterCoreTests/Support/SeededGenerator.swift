import MeterCore

/// The tests' deterministic random source, so every randomized test can be replayed from its seed.
typealias SeededGenerator = SplitMix64
