import Foundation
import MeterWAL

/// A scratch directory for one benchmark, on the disk under test: `$METERD_WAL_BENCH_DIR`, or
/// the system temporary directory (on this machine the same ext4 volume as the repository).
func scratchDirectory(_ label: String) -> String {
    let root = ProcessInfo.processInfo.environment["METERD_WAL_BENCH_DIR"] ?? NSTemporaryDirectory()
    let path = (root as NSString).appendingPathComponent("meterd-wal-bench-\(label)-\(getpid())")
    try? FileManager.default.removeItem(atPath: path)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeScratch(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Payload bytes that are not all zero (so nothing along the way can shortcut them).
func benchmarkPayload(bytes: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<bytes).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// State a benchmark creates in `setup` and drops in `teardown` (the hooks take no arguments).
final class Fixture<Value>: @unchecked Sendable {
    var value: Value?
    var directory = ""
}
