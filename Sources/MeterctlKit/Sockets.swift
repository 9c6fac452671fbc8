#if canImport(Glibc)
import Glibc
#endif

/// Where meterctl sends: a UDP or TCP `HOST:PORT`, or a Unix stream socket path.
public enum Target: Sendable, Equatable, CustomStringConvertible {
    case udp(host: String, port: UInt16)
    case tcp(host: String, port: UInt16)
    case unix(path: String)

    public var isDatagram: Bool { if case .udp = self { true } else { false } }

    public var transport: String {
        switch self {
        case .udp: "udp"
        case .tcp: "tcp"
        case .unix: "unix"
        }
    }

    public var description: String {
        switch self {
        case let .udp(host, port), let .tcp(host, port):
            "\(transport) \(host.contains(":") ? "[\(host)]" : host):\(port)"
        case let .unix(path): "unix \(path)"
        }
    }

    /// Splits `HOST:PORT` (IPv6 as `[::1]:8125`). Throws a message naming the problem.
    public static func hostPort(_ text: String) throws(SocketError) -> (host: String, port: UInt16) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw SocketError("expected [IPV6]:PORT, got '\(text)'")
            }
            host = text[text.index(after: text.startIndex) ..< close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw SocketError("expected HOST:PORT (no ':' found), got '\(text)'") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw SocketError("expected HOST:PORT (empty host), got '\(text)'") }
        guard let port = UInt16(portText), port > 0 else { throw SocketError("expected a port from 1 to 65535, got '\(portText)'") }
        if host.hasPrefix("[") { host = host.dropFirst() }
        return (String(host), port)
    }
}

public struct SocketError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    static func errno(_ what: String) -> SocketError {
        SocketError("\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// One connected, blocking socket. UDP sockets are connected too, so each datagram is a
/// plain `send` with no address.
public final class Connection {
    public let fd: Int32
    public let target: Target

    public init(_ target: Target) throws(SocketError) {
        self.target = target
        switch target {
        case let .unix(path):
            var address = sockaddr_un()
            let bytes = Array(path.utf8)
            guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw SocketError("unix socket path must be 1 to 107 bytes, got \(bytes.count)")
            }
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw .errno("socket") }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else {
                let error = SocketError.errno("connect to \(path)")
                close(fd)
                throw error
            }
            self.fd = fd
        case let .udp(host, port), let .tcp(host, port):
            let type = target.isDatagram ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = type
            hints.ai_flags = AI_NUMERICSERV
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &result)
            guard status == 0, let first = result else {
                throw SocketError("cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(result) }
            var lastError = SocketError("no address for '\(host)'")
            var entry: UnsafeMutablePointer<addrinfo>? = first
            var connectedFD: Int32 = -1
            while let info = entry, connectedFD < 0 {
                entry = info.pointee.ai_next
                let fd = socket(info.pointee.ai_family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { lastError = .errno("socket"); continue }
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    connectedFD = fd
                } else {
                    lastError = .errno("connect to \(target)")
                    close(fd)
                }
            }
            guard connectedFD >= 0 else { throw lastError }
            fd = connectedFD
            if target.isDatagram {
                var size: Int32 = 4 << 20
                _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        }
    }

    deinit { close(fd) }

    /// Sends one datagram; returns false (and leaves errno) when the kernel refused it, e.g.
    /// `ECONNREFUSED` after an ICMP port unreachable on loopback.
    public func sendDatagram(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Writes all of `bytes` to the stream (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE).
    public func writeAll(_ bytes: ArraySlice<UInt8>) throws(SocketError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .errno("write to \(target)")
            }
            offset += written
        }
    }

    /// Reads from the stream until a line starting with one of `prefixes` arrives (up to
    /// `timeout` s); returns it without its terminator, or nil on timeout or end of stream.
    /// Bytes after that line are discarded.
    public func readLine(startingWith prefixes: [String], timeout: Double) -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Clock.now() + timeout
        while Clock.now() < deadline {
            while let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: received[..<newline], as: UTF8.self)
                received.removeSubrange(...newline)
                if prefixes.contains(where: { line.hasPrefix($0) }) { return line }
            }
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            received += buffer[..<count]
        }
        return nil
    }

    /// Ends a stream cleanly: no more writes, then wait (up to `timeout` s) for the peer to
    /// close, so every byte has been read by meterd before we return.
    public func finish(timeout: Double = 2) {
        guard !target.isDatagram else { return }
        _ = shutdown(fd, Int32(SHUT_WR))
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Clock.now() + timeout
        while Clock.now() < deadline {
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
        }
    }
}

/// A monotonic clock in seconds, and sleeping without a busy loop.
public enum Clock {
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    public static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
