import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// About the smallest WAL the configuration allows (docs/durability.md, "WAL full"): entries of one
/// drained batch (256 KiB + the 8-byte header), segments that hold one, two segments.
enum TinyWAL {
    static let maxEntryBytes = 256 * 1024 + 8
    static let segmentBytes = 262_400
    static let environment: [String: String?] = [
        "METERD_WAL_MAX_ENTRY_BYTES": String(maxEntryBytes),
        "METERD_WAL_SEGMENT_BYTES": String(segmentBytes),
        "METERD_WAL_MAX_BYTES": String(2 * segmentBytes),
    ]
}

/// A tmpfs of `bytes` mounted on a fresh directory, for a real ENOSPC (needs root).
final class TinyFileSystem {
    let path: String

    init(bytes: Int) throws {
        path = "/tmp/meterd-tmpfs-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes),mode=0755") == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: path)
            throw TestSockets.Failure(description: "mount tmpfs on \(path): errno \(code)")
        }
    }

    /// Makes the file system `bytes` large (its files stay).
    func resize(bytes: Int) throws {
        guard mount("tmpfs", path, "tmpfs", UInt(MS_REMOUNT), "size=\(bytes)") == 0 else {
            throw TestSockets.Failure(description: "remount tmpfs on \(path): errno \(errno)")
        }
    }

    /// Unmounts (lazily, should a process still hold a file) and removes the directory.
    func remove() {
        _ = umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }

    static var canMount: Bool { geteuid() == 0 }
}
