import Logging
import MeterCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing
@testable import MeterIngest

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection facing a full ring stops reading, loses nothing, and resumes when the
/// consumer makes room; the event loop stays free meanwhile.
@Suite(.timeLimit(.minutes(1)))
struct StreamBackpressureTests {
    static func tinyEngine() -> MeterEngine {
        var configuration = EngineConfiguration()
        configuration.shardCount = 1
        configuration.batchBytes = 4 * 1024
        configuration.bytesPerShard = 4 * 1024
        return MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 9))
    }

    @Test func fullRingPausesTheConnectionAndEveryLineArrivesOnceThereIsRoom() async throws {
        let engine = Self.tinyEngine()
        let stats = IngestStats()
        let port = try TestClient.freePort()
        let listener = StreamListener(endpoint: .tcp(ListenAddress(host: "127.0.0.1", port: port)), engine: engine,
                                      stats: stats, readiness: Readiness(expecting: ["tcp"]),
                                      group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        let lineCount = 20_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await listener.run() }
            let fd = try await TestClient.connect(port: port)
            // The kernel buffers hold only part of this; the writer blocks until meterd reads on.
            let writer = Task.detached {
                try TestClient.writeAll(fd, Array(String(repeating: "api.calls:1|c|#tenant:acme\n", count: lineCount).utf8))
                close(fd)
            }

            // Nobody drains yet: received lines stop short of the total and stay there.
            var stalled = 0
            while true {
                let before = stats.totals(.tcp).lines
                try await Task.sleep(for: .milliseconds(100))
                let after = stats.totals(.tcp).lines
                if after == before && after > 0 { stalled = after; break }
            }
            #expect(stalled < lineCount)
            #expect(engine.ring.occupancy(shard: 0).bytes > 0)

            // Drain from this task (the only consumer here) until every line is counted.
            var counted: Int64 = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while counted < Int64(lineCount) && ContinuousClock.now < deadline {
                var deltas: [RollupDelta] = []
                engine.drainAndCollectDeltas(now: wallSeconds(), into: &deltas)
                counted += deltas.filter { $0.grain == .month }.map(\.events).reduce(0, +)
                try await Task.sleep(for: .milliseconds(1))
            }
            try await writer.value
            #expect(counted == Int64(lineCount))
            // Give the connection's close a moment to be reported.
            while stats.totals(.tcp).lines < lineCount { try await Task.sleep(for: .milliseconds(5)) }
            let totals = stats.totals(.tcp)
            #expect(totals.lines == lineCount)
            #expect(totals.enqueued == lineCount)
            #expect(totals.droppedRingFull == 0)
            group.cancelAll()
        }
    }
}

enum TestClient {
    struct Failure: Error {}

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw Failure() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connects, retrying while the listener is still binding.
    static func connect(port: Int) async throws -> Int32 {
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if connected == 0 { return fd }
            close(fd)
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Failure()
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure() }
            offset += written
        }
    }
}
