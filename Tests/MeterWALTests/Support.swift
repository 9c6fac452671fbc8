import Foundation
@testable import MeterWAL

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TempDirectory {
    let path: String

    init(_ label: String = #function) {
        let name = "meterwal-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func segmentFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".seg") }.sorted()
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// A copy of this directory's files in a new temp directory.
    func copy(_ label: String = "copy") throws -> TempDirectory {
        let target = TempDirectory(label)
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            try FileManager.default.copyItem(atPath: file(name), toPath: target.file(name))
        }
        return target
    }
}

/// Deterministic payload bytes for entry `index` of length `count`.
func payload(_ index: Int, count: Int) -> [UInt8] {
    var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// A small configuration so tests cross segment boundaries quickly.
func smallConfiguration(segmentBytes: Int = 4096, maxBytes: Int = 1 << 20, maxEntryBytes: Int = 1024,
                        commitInterval: Duration = .milliseconds(1)) -> WALConfiguration {
    WALConfiguration(segmentBytes: segmentBytes, maxBytes: maxBytes, commitInterval: commitInterval,
                     commitBytes: 64 << 10, maxEntryBytes: maxEntryBytes, preallocate: true)
}

extension WriteAheadLog {
    /// Appends `bytes`, requiring success.
    func appendOK(_ bytes: [UInt8]) throws -> WALRange {
        switch try bytes.withUnsafeBytes({ try append($0) }) {
        case .appended(let range): return range
        case .full(let retained, let max): throw TestFailure("unexpected .full (\(retained) of \(max))")
        }
    }

    /// Every durable entry from `position` on.
    func entries(from position: Int64) throws -> [(lsn: Int64, payload: [UInt8])] {
        var result: [(Int64, [UInt8])] = []
        try replay(from: position) { lsn, bytes in result.append((lsn, Array(bytes))) }
        return result
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sets `length` bytes of `path` from `offset` to `value` (or XORs one byte with `xor`).
func patch(_ path: String, at offset: Int, xor: UInt8) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    let byte = try handle.read(upToCount: 1) ?? Data()
    guard byte.count == 1 else { throw TestFailure("no byte at \(offset) in \(path)") }
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: Data([byte[byte.startIndex] ^ xor]))
}

func truncateFile(_ path: String, to length: Int) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.truncate(atOffset: UInt64(length))
}

func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
}

/// A one-shot result handed from a callback thread to the test.
final class Signal: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Int64, WALError>?

    func fire(_ value: Result<Int64, WALError>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to 10 s for `fire`, then resets.
    func wait() throws -> Result<Int64, WALError> {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(10)
        while result == nil {
            if !condition.wait(until: deadline) { throw TestFailure("callback not called within 10 s") }
        }
        defer { result = nil }
        return result!
    }
}

func readByte(_ path: String, at offset: Int) throws -> UInt8 {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    guard let data = try handle.read(upToCount: 1), let byte = data.first else { throw TestFailure("no byte at \(offset)") }
    return byte
}

func writeZeros(_ path: String, count: Int) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(count: count)) else {
        throw TestFailure("cannot create \(path)")
    }
}

func FileManagerRemove(_ path: String) throws {
    try FileManager.default.removeItem(atPath: path)
}
