import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Type=notify` messages and socket activation, against the built binary.
@Suite(.timeLimit(.minutes(1)))
struct MeterdSystemdTests {
    static let socketActivate = "/usr/bin/systemd-socket-activate"
    static var hasSocketActivate: Bool { FileManager.default.isExecutableFile(atPath: socketActivate) }

    /// systemd-socket-activate logs "Listening on ADDR as FD." for each socket once bound.
    static func waitUntilListening(_ daemon: DaemonProcess, sockets: Int) throws {
        try daemon.poll(what: "systemd-socket-activate listening") {
            daemon.stderr.components(separatedBy: "Listening on ").count - 1 >= sockets
        }
    }

    @Test func notifiesReadyStatusWatchdogAndStoppingThroughNotifySocket() throws {
        let notify = try NotifySocket()
        defer { notify.close() }
        let daemon = try DaemonProcess(unix: false, environment: [
            "NOTIFY_SOCKET": notify.path,
            "WATCHDOG_USEC": "200000",
            "WATCHDOG_PID": nil,
        ])
        defer { daemon.stop() }

        try notify.wait(for: "READY=1", daemon: daemon)
        // Ready is sent only once every listener is bound.
        #expect((try? TestSockets.get(port: daemon.httpPort, "/readyz").status) == 200)
        try notify.wait(for: "STATUS=listening; 0 lines received, 0 events queued", daemon: daemon)
        try notify.wait(for: "WATCHDOG=1", count: 2, daemon: daemon)
        #expect(!notify.received.contains("STOPPING=1"))

        #expect(try daemon.terminate() == 0)
        try notify.wait(for: "STOPPING=1", daemon: nil)
        // STOPPING comes after READY and is sent once.
        let readyIndex = try #require(notify.received.firstIndex(of: "READY=1"))
        let stoppingIndex = try #require(notify.received.firstIndex(of: "STOPPING=1"))
        #expect(readyIndex < stoppingIndex)
        #expect(notify.received.filter { $0 == "STOPPING=1" }.count == 1)
    }

    @Test func sendsNothingWithoutWatchdogUsec() throws {
        let notify = try NotifySocket()
        defer { notify.close() }
        let daemon = try DaemonProcess(unix: false, environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil,
        ])
        defer { daemon.stop() }
        try notify.wait(for: "READY=1", daemon: daemon)
        usleep(300_000)
        #expect(try daemon.terminate() == 0)
        try notify.wait(for: "STOPPING=1", daemon: nil)
        #expect(!notify.received.contains("WATCHDOG=1"))
    }

    @Test(.enabled(if: hasSocketActivate, "systemd-socket-activate is not installed"))
    func usesTheDatagramSocketHandedOverBySystemd() throws {
        let activatedPort = try TestSockets.freePort(type: Int32(SOCK_DGRAM.rawValue))
        let daemon = try DaemonProcess(unix: false, launcher: [
            Self.socketActivate, "--datagram", "-l", "127.0.0.1:\(activatedPort)", "--fdname=udp",
        ])
        defer { daemon.stop() }
        try Self.waitUntilListening(daemon, sockets: 1)
        // systemd-socket-activate starts meterd on the first datagram (they wait in the socket).
        let datagram = String(repeating: "sms.sent:1|c|#tenant:activated\n", count: 4)
        try TestSockets.sendUDP(port: activatedPort, datagrams: Array(repeating: datagram, count: 5))
        try daemon.waitUntilReady()
        #expect(daemon.stderr.contains("socket_activated=true"))
        try daemon.poll(what: "lines sent to the activated UDP socket counted") {
            try daemon.metric(#"meterd_events_received_total{transport="udp"}"#) == 20
                && daemon.metric("meterd_events_accepted_total") == 20
        }
        #expect(try daemon.terminate() == 0)
    }

    @Test(.enabled(if: hasSocketActivate, "systemd-socket-activate is not installed"))
    func usesStreamSocketsHandedOverBySystemdByKindInOrder() throws {
        let activatedPort = try TestSockets.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-act-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let unixPath = directory.appendingPathComponent("activated.sock").path
        // No names: the TCP socket and the Unix socket are told apart by their family.
        let daemon = try DaemonProcess(unix: false, launcher: [
            Self.socketActivate, "-l", unixPath, "-l", "127.0.0.1:\(activatedPort)",
        ])
        defer { daemon.stop() }
        try Self.waitUntilListening(daemon, sockets: 2)
        // The first connection starts meterd; it waits in the listen backlog until then.
        try TestSockets.sendAndClose(try TestSockets.connectTCP(port: activatedPort),
                                     String(repeating: "api.calls:1|c|#tenant:activated\n", count: 7))
        try daemon.waitUntilReady()
        try TestSockets.sendAndClose(try TestSockets.connectUnix(path: unixPath),
                                     String(repeating: "api.calls:1|c|#tenant:activated\n", count: 3))
        try daemon.poll(what: "lines sent to the activated TCP and Unix sockets counted") {
            try daemon.metric(#"meterd_events_received_total{transport="tcp"}"#) == 7
                && daemon.metric(#"meterd_events_received_total{transport="unix"}"#) == 3
        }
        #expect(try daemon.terminate() == 0)
        // The socket file belongs to whoever activated meterd: the daemon leaves it in place.
        #expect(FileManager.default.fileExists(atPath: unixPath))
    }
}

/// A Unix datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let directory: URL
    let path: String
    let fd: Int32
    private(set) var received: [String] = []

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestSockets.Failure(description: "socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8).prefix(raw.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestSockets.Failure(description: "bind \(path): \(errno)") }
    }

    /// Reads datagrams until `message` has been received `count` times in all; fails after
    /// `timeout` seconds or (when `daemon` is given) when the daemon exits.
    func wait(for message: String, count: Int = 1, timeout: Double = 5, daemon: DaemonProcess?) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while received.filter({ $0 == message }).count < count {
            guard Date() < deadline else {
                throw TestSockets.Failure(description: "no \(message) (x\(count)) within \(timeout)s; got \(received); stderr: \(daemon?.stderr ?? "")")
            }
            if let daemon, !daemon.process.isRunning {
                throw TestSockets.Failure(description: "meterd exited waiting for \(message); got \(received); stderr: \(daemon.stderr)")
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let length = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if length > 0 {
                let text = String(decoding: buffer[0..<length], as: UTF8.self)
                received += text.split(separator: "\n").map(String.init)
            }
        }
    }

    func close() {
        _ = Glibc.close(fd)
        try? FileManager.default.removeItem(at: directory)
    }
}
