import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Plain blocking sockets for talking to a live meterd: UDP, TCP, Unix stream, HTTP/1.0 GET.
enum TestSockets {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A loopback port nobody listens on right now: bind port 0, read the port, close.
    /// (The daemon's flags take explicit ports.) `type` is SOCK_STREAM or SOCK_DGRAM.
    static func freePort(type: Int32 = Int32(SOCK_STREAM.rawValue)) throws -> Int {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "bind: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port free for both TCP and UDP (the daemon binds the UDP and TCP ports separately,
    /// but this keeps the check simple).
    static func freePorts(_ count: Int) throws -> [Int] {
        var ports: Set<Int> = []
        while ports.count < count {
            let port = try freePort()
            if (try? freePort(type: Int32(SOCK_DGRAM.rawValue))) != nil { ports.insert(port) }
        }
        return Array(ports)
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func sendUDP(port: Int, datagrams: [String]) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: port)
        for datagram in datagrams {
            let sent = Array(datagram.utf8).withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == datagram.utf8.count else { throw Failure(description: "sendto: \(errno)") }
        }
    }

    static func connectTCP(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to \(port): \(errno)")
        }
        return fd
    }

    static func connectUnix(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to \(path): \(errno)")
        }
        return fd
    }

    /// Writes all of `text` then closes the connection.
    static func sendAndClose(_ fd: Int32, _ text: String) throws {
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8))
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure(description: "write: \(errno)") }
            offset += written
        }
    }

    /// The HTTP API token `DaemonProcess` configures by default (`http_auth.tokens`).
    static let apiToken = "e2e-api-token-0123456789abcdef"
    /// The header line (with its CRLF) that presents `apiToken`.
    static let authorizationHeader = "Authorization: Bearer \(apiToken)\r\n"

    /// `GET path` over HTTP/1.0, presenting `token` (none when nil); returns the status code and body.
    static func get(port: Int, _ path: String, token: String? = apiToken) throws -> (status: Int, body: String) {
        let fd = try connectTCP(port: port)
        defer { close(fd) }
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        try writeAll(fd, Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\(authorization)\r\n".utf8))
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            response.append(contentsOf: chunk[0..<count])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n"),
              let status = Int(text.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "malformed HTTP response: \(text.prefix(200))")
        }
        return (status, String(text[headerEnd.upperBound...]))
    }
}
