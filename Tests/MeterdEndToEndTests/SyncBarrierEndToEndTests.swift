import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The stream sync barrier with the real binary (docs/line-protocol.md, "Sync barrier").
@Suite(.timeLimit(.minutes(2)))
struct SyncBarrierEndToEndTests {
    /// Reads lines from `fd` until `count` lines arrived (or `timeout` s passed).
    static func readLines(_ fd: Int32, count: Int, timeout: Double = 10) -> [String] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while received.filter({ $0 == UInt8(ascii: "\n") }).count < count && Date() < deadline {
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            let read = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if read <= 0 { break }
            received += chunk[..<read]
        }
        return String(decoding: received, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func lines(_ name: String) -> String {
        """
        api.calls:1|c|#tenant:bar-\(name),id:r-1
        api.calls:1|c|#tenant:bar-\(name),id:r-1
        api.calls:x|c|#tenant:bar-\(name)
        api.calls:2|c|#tenant:bar-\(name),region:eu
        api.calls:3|c|#tenant:bar-\(name),region:us
        sms.sent:1|c|#tenant:other-\(name)

        """
    }

    func exchange(_ daemon: DaemonProcess, fd: Int32, name: String) throws {
        defer { close(fd) }
        try TestSockets.writeAll(fd, Array((Self.lines(name) + "#sync first\n").utf8))
        let first = Self.readLines(fd, count: 1)
        // 6 lines: r-1 twice (one duplicate), a bad value, the tenant's third series over its
        // limit of 2, and one line of another tenant.
        #expect(first == ["#synced first accepted=3 duplicate=1 refused=2 durable=yes bad_value=1 tenant_series_limit=1"])
        // Counts restart at each barrier; malformed barriers are answered with #error, in order.
        try TestSockets.writeAll(fd, Array("api.calls:1|c|#tenant:bar-\(name),id:r-1\n#sync bad/token\n#sync second\n#sync third\n".utf8))
        let rest = Self.readLines(fd, count: 3)
        #expect(rest == ["#error bad_token",
                         "#synced second accepted=0 duplicate=1 refused=0 durable=yes",
                         "#synced third accepted=0 duplicate=0 refused=0 durable=yes"])
    }

    @Test func barrierAnswersExactCountsOverTCPAndUnix() throws {
        let daemon = try DaemonProcess(environment: ["METERD_LIMITS_MAX_SERIES_PER_TENANT": "2"])
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        try exchange(daemon, fd: try TestSockets.connectTCP(port: daemon.tcpPort), name: "tcp")
        let durable = try #require(try daemon.metric("meterd_wal_durable_lsn"))
        #expect(durable > 0)
        try exchange(daemon, fd: try TestSockets.connectUnix(path: daemon.unixPath), name: "unix")
        try daemon.poll(what: "barriers counted") { try daemon.metric("meterd_sync_barriers_total") == 6 }
        #expect(try daemon.metric("meterd_sync_barrier_seconds_count") == 6)
    }

    /// 300 barriers written at once, beyond the 64 a connection may have unanswered: meterd
    /// stops reading meanwhile, and every barrier is answered, in order, with its own counts.
    @Test func pipelinedBarriersAreAllAnsweredInOrder() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let fd = try TestSockets.connectUnix(path: daemon.unixPath)
        defer { close(fd) }
        var text = ""
        for round in 0..<300 {
            for line in 0..<(round % 4) { text += "pipe.m\(line):1|c|#tenant:pipe\(round % 7)\n" }
            text += "#sync p\(round)\n"
        }
        try TestSockets.writeAll(fd, Array(text.utf8))
        let answers = Self.readLines(fd, count: 300, timeout: 30)
        #expect(answers == (0..<300).map { "#synced p\($0) accepted=\($0 % 4) duplicate=0 refused=0 durable=yes" })
    }

    @Test func loadWithBarriersCountsAcknowledgedEvents() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let result = try MeterctlEndToEndTests.meterctl(
            ["load", "--tcp", "127.0.0.1:\(daemon.tcpPort)", "--count", "20000", "--lines-per-write", "500",
             "--sync-every", "1000", "--tenants", "100"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("barriers: 20 sent, 20 answered; acknowledged events: 20000"), "\(result.out)")
    }

    @Test func plainClientsGetNothingBack() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let fd = try TestSockets.connectTCP(port: daemon.tcpPort)
        defer { close(fd) }
        try TestSockets.writeAll(fd, Array("api.calls:1|c|#tenant:plain\nbad line\n#synx x\n".utf8))
        _ = shutdown(fd, Int32(SHUT_WR))
        var chunk = [UInt8](repeating: 0, count: 256)
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&pollFD, 1, 5000)
        let read = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(read <= 0) // end of stream (or reset), no bytes
        try daemon.poll(what: "line accepted") { try daemon.metric("meterd_events_accepted_total") == 1 }
    }

    @Test func meterctlSendSyncPrintsTheAnswer() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let result = try MeterctlEndToEndTests.meterctl(
            ["send", "--tcp", "127.0.0.1:\(daemon.tcpPort)", "--sync", "--sync-token", "ctl-1"],
            stdin: "api.calls:1|c|#tenant:ctl\nai.tokens:-5|c|#tenant:ctl\n")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("#synced ctl-1 accepted=1 duplicate=0 refused=1 durable=yes negative_counter=1"), "\(result.out)")
    }

    /// The key guarantee: every event answered by a barrier before a SIGKILL is in PostgreSQL
    /// after the restart, exactly once.
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func answeredEventsSurviveKill9() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try MeterdCrashRecoveryTests.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let arguments = ["--postgres", url, "--data-dir", data.path]
            let first = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            let tenant = MeterdCrashRecoveryTests.tenant
            let fd = try TestSockets.connectTCP(port: first.tcpPort)
            var answered = 0
            for round in 0..<5 {
                let lines = (0..<400).map { "crash.m\($0 % 5):0.5|c|#tenant:\(tenant),k:k\($0 % 3)\n" }.joined()
                try TestSockets.writeAll(fd, Array((lines + "#sync r\(round)\n").utf8))
                let answer = Self.readLines(fd, count: 1)
                #expect(answer == ["#synced r\(round) accepted=400 duplicate=0 refused=0 durable=yes"])
                answered += 400
            }
            // Kill at once after the last answer: no wait for the WAL metrics.
            MeterdCrashRecoveryTests.kill9(first)
            close(fd)

            let second = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 20)
            #expect(try second.terminate() == 0)
            #expect(try MeterdCrashRecoveryTests.totals(try connect()) == MeterdCrashRecoveryTests.expected(events: answered))
        }
    }
}
