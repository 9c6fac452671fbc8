import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A torn tail with the real binary: after a kill -9, garbage after the last entry of the last
/// segment (what a write cut short by a crash leaves); the restart truncates it, says so in a
/// `warning` line and `meterd_wal_torn_tail_bytes_total`, and replays every entry before it.
@Suite struct MeterdWALTornTailTests {
    @Test func tornTailIsTruncatedWithALogLineAndAMetric() throws {
        let data = try MeterdCrashRecoveryTests.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = try DaemonProcess(arguments: ["--data-dir", data.path], flushInterval: "3600", unix: false)
        defer { first.stop() }
        try first.waitUntilReady()
        let fd = try TestSockets.connectTCP(port: first.tcpPort)
        defer { close(fd) }
        for (round, count) in [(0, 100), (1, 50)] {
            let lines = (0..<count).map { "torn.m\($0 % 3):1|c|#tenant:torn,r:r\(round)" }
            let answer = try #require(try SyncAnswer.exchange(fd, lines: lines, token: "t\(round)"))
            #expect(answer.accepted == count && answer.durable, "\(answer)")
        }
        try MeterdCrashRecoveryTests.waitDurable(first)
        let end = Int64(try #require(try first.metric("meterd_wal_appended_lsn")))
        MeterdCrashRecoveryTests.kill9(first)

        // The last segment, and the end of its valid data in it.
        let wal = data.appendingPathComponent("wal")
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: wal.path).filter { $0.hasSuffix(".seg") }.sorted().last)
        let base = try #require(Int64(segment.dropLast(4)))
        let handle = try FileHandle(forWritingTo: wal.appendingPathComponent(segment))
        try handle.seek(toOffset: UInt64(end - base))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 100))
        try handle.close()

        let second = try DaemonProcess(arguments: ["--data-dir", data.path], flushInterval: "3600", unix: false)
        defer { second.stop() }
        try second.waitUntilReady(timeout: 10)
        #expect(second.stderr.contains("WAL torn tail truncated"))
        #expect(try second.metric("meterd_wal_torn_tail_bytes_total") == 100)
        #expect(try second.metric("meterd_wal_replayed_events_total") == 150)
        #expect(try second.terminate() == 0)
    }
}
