import Foundation
import Testing
@testable import MeterWAL

#if canImport(Glibc)
import Glibc
#endif

/// The payload `wal-crash-writer` appends for entry `index` (same code as in the helper).
private func crashPayload(_ index: Int) -> [UInt8] {
    let count = 8 + (index * 37) % 3000
    var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    var bytes = [UInt8](repeating: 0, count: count)
    for position in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[position] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}

/// The built helper: next to the test bundle, or in this package's .build/debug.
private func writerBinary() throws -> URL {
    var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wal-crash-writer")]
    for bundle in Bundle.allBundles {
        candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("wal-crash-writer"))
    }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(package.appendingPathComponent(".build/debug/wal-crash-writer"))
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw TestFailure("wal-crash-writer not found; run `swift build --build-tests` (tried \(candidates.map(\.path)))")
    }
    return found
}

@Suite("WAL crash")
struct CrashTests {
    @Test("kill -9 mid-append, three times: every entry reported durable replays intact")
    func killMidAppend() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let binary = try writerBinary()
        var durable: [Int64: Int] = [:]  // start LSN -> entry index, over all runs
        for run in 0..<3 {
            let output = directory.file("stdout-\(run)")
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let process = Process()
            process.executableURL = binary
            process.arguments = [directory.file("wal"), String(run * 10_000_000)]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            try process.run()
            // Wait for recovery to finish (slow under sanitizers), let it write for a while,
            // then kill it wherever it is.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, (try? fileSize(output)) ?? 0 == 0 {
                Thread.sleep(forTimeInterval: 0.01)
            }
            Thread.sleep(forTimeInterval: 0.3 + 0.15 * Double(run))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)

            let text = try String(contentsOfFile: output, encoding: .utf8)
            // Only whole lines: the last one may have been cut by the kill.
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1)
            #expect(lines.first?.hasPrefix("R ") == true, "first line: \(lines.first ?? "none")")
            #expect(!lines.contains { $0.hasPrefix("E ") }, "the writer failed: \(lines.filter { $0.hasPrefix("E ") })")
            var reported = 0
            for line in lines where line.hasPrefix("D ") {
                let fields = line.split(separator: " ")
                durable[Int64(fields[1])!] = Int(fields[2])!
                reported += 1
            }
            #expect(reported > 100, "run \(run): only \(reported) entries became durable before the kill")

            let wal = try WriteAheadLog(directory: directory.file("wal"))
            var found: [Int64: [UInt8]] = [:]
            try wal.replay(from: wal.recoveryReport.startLSN) { lsn, payload in found[lsn] = Array(payload) }
            try wal.close()
            var missing = 0
            for (lsn, index) in durable where found[lsn] != crashPayload(index) { missing += 1 }
            #expect(missing == 0, "run \(run): \(missing) of \(durable.count) durable entries did not replay intact")
        }
    }
}

extension CrashTests {
    @Test("a write that fails (EFBIG past RLIMIT_FSIZE) stops the WAL; what was durable replays intact")
    func failStopOnWriteError() throws {
        let directory = TempDirectory()
        defer { directory.remove() }
        let output = directory.file("stdout")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = try writerBinary()
        // Segments are 256 KiB; writes past 100 KiB of a file fail.
        process.arguments = [directory.file("wal"), "0", String(100 << 10)]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 3)

        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        let stop = try #require(lines.first { $0.hasPrefix("F ") || $0.hasPrefix("E ") })
        #expect(stop.hasPrefix("F "), "\(stop)")
        #expect(stop.contains("errno 27"), "EFBIG expected: \(stop)")
        let durableAtStop = Int64(stop.split(separator: " ")[1])!
        var durable: [Int64: Int] = [:]
        for line in lines where line.hasPrefix("D ") {
            let fields = line.split(separator: " ")
            durable[Int64(fields[1])!] = Int(fields[2])!
        }
        #expect(!durable.isEmpty)
        #expect(durable.keys.allSatisfy { $0 < durableAtStop })

        // Without the limit, recovery finds every durable entry (and at most a torn tail after them).
        let wal = try WriteAheadLog(directory: directory.file("wal"))
        defer { try? wal.close() }
        #expect(wal.recoveryReport.endLSN >= durableAtStop)
        var found: [Int64: [UInt8]] = [:]
        try wal.replay(from: 0) { lsn, payload in found[lsn] = Array(payload) }
        #expect(durable.allSatisfy { found[$0.key] == crashPayload($0.value) })
    }
}
