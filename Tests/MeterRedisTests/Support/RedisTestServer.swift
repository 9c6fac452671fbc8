#if canImport(Glibc)
import Glibc
#endif
import MeterRedis
import Testing

/// The real Redis that `scripts/test.sh` starts, from `METERD_TEST_REDIS_URL`. Tests that need
/// it are disabled (with this message) when the variable is unset: never faked.
enum RedisTestServer {
    static let url: String? = getenv("METERD_TEST_REDIS_URL").map { String(cString: $0) }
    static let isConfigured = url != nil
    static let skipMessage: Comment = "METERD_TEST_REDIS_URL is unset: run scripts/test.sh, which starts a private Redis"

    static func connect(commandTimeout: Duration = .seconds(5)) throws -> RedisConnection {
        try RedisConnection(url: url!, connectTimeout: .seconds(2), commandTimeout: commandTimeout)
    }

    /// A key prefix no other test (or earlier run) uses.
    static func uniquePrefix(_ name: String) -> String {
        "meterd-test:\(name):\(UInt64.random(in: 0 ... .max))"
    }
}

/// A loopback TCP port nothing listens on: bound to port 0 to get a free one, then closed.
func unusedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0)
    defer { close(fd) }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(bound == 0)
    return boundPort(fd)
}

/// A loopback TCP socket that listens but never accepts or answers: connecting succeeds (the
/// kernel completes the handshake into the backlog) and every command then times out.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0 && listen(fd, 8) == 0)
        self.fd = fd
        port = boundPort(fd)
    }

    deinit { close(fd) }
}

private func loopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

private func boundPort(_ fd: Int32) -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let status = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    precondition(status == 0)
    return Int(UInt16(bigEndian: address.sin_port))
}
