import Logging
import MeterSystemd
#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets systemd handed over (socket activation, `sd_listen_fds`), assigned to
/// meterd's listeners. A listener with a socket here uses it instead of binding its flag's
/// address; a listener without one binds as usual.
///
/// Assignment: first by `FileDescriptorName=` (`udp`, `tcp`, `unix`, case-insensitive, when
/// the socket has the matching kind), then by kind in descriptor order for the rest: the first
/// datagram socket is UDP, the first stream socket of family `AF_UNIX` is the Unix listener,
/// the first other stream socket is TCP. Anything left over is closed with a warning (an
/// unserved listening socket would queue connections forever).
struct ActivatedSockets: Sendable {
    var udp: Int32?
    var tcp: Int32?
    var unix: Int32?
    /// The path the activated Unix socket is bound to (for logs); nil without one.
    var unixPath: String?

    static let none = ActivatedSockets()

    /// Reads `LISTEN_FDS`/`LISTEN_PID`/`LISTEN_FDNAMES`; `.none` when not socket-activated.
    static func fromEnvironment(logger: Logger) -> ActivatedSockets {
        let passed = SocketActivation.listenDescriptorsWithNames()
        guard !passed.isEmpty else { return .none }
        let described = passed.map {
            Passed(fd: $0.fileDescriptor, name: $0.name.lowercased(), kind: SocketActivation.socketKind(of: $0.fileDescriptor),
                   family: family(of: $0.fileDescriptor))
        }
        var sockets = assign(described)
        if let fd = sockets.unix { sockets.unixPath = unixPath(of: fd) ?? "(socket activation)" }
        let used = Set([sockets.udp, sockets.tcp, sockets.unix].compactMap { $0 })
        for socket in described where !used.contains(socket.fd) {
            logger.warning("closing a socket-activated descriptor no listener takes", metadata: [
                "fd": "\(socket.fd)", "name": "\(socket.name)", "kind": "\(socket.kind)",
            ])
            close(socket.fd)
        }
        logger.info("socket activation", metadata: [
            "udp.fd": "\(sockets.udp.map(String.init) ?? "none")",
            "tcp.fd": "\(sockets.tcp.map(String.init) ?? "none")",
            "unix.fd": "\(sockets.unix.map(String.init) ?? "none")",
        ])
        return sockets
    }

    /// One passed descriptor, described.
    struct Passed: Sendable, Hashable {
        var fd: Int32
        var name: String
        var kind: SocketActivation.SocketKind
        var family: Int32
    }

    /// Which listener a socket can serve, by kind and family.
    static func role(of socket: Passed) -> String? {
        switch socket.kind {
        case .datagram: socket.family == AF_UNIX ? nil : "udp"
        case .stream: socket.family == AF_UNIX ? "unix" : "tcp"
        case .other: nil
        }
    }

    /// The pure assignment (names first, then kinds in order); unit-testable without descriptors.
    static func assign(_ passed: [Passed]) -> ActivatedSockets {
        var byRole: [String: Int32] = [:]
        var taken: Set<Int32> = []
        for socket in passed where role(of: socket) == socket.name && byRole[socket.name] == nil {
            byRole[socket.name] = socket.fd
            taken.insert(socket.fd)
        }
        for socket in passed where !taken.contains(socket.fd) {
            guard let role = role(of: socket), byRole[role] == nil else { continue }
            byRole[role] = socket.fd
            taken.insert(socket.fd)
        }
        return ActivatedSockets(udp: byRole["udp"], tcp: byRole["tcp"], unix: byRole["unix"])
    }

    /// The address family (`AF_INET`, `AF_INET6`, `AF_UNIX`), or -1 when `getsockname` fails.
    static func family(of fd: Int32) -> Int32 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? Int32(storage.ss_family) : -1
    }

    /// The filesystem path of a bound Unix socket; nil for abstract or unnamed sockets.
    static func unixPath(of fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        let path = withUnsafeBytes(of: &address.sun_path) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }
}
