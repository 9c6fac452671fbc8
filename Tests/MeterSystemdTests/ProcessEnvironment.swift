#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with environment variables set (a value) or unset (nil), then restores every
/// variable it touched. The environment is process-global: suites using this are `.serialized`.
func withEnvironment<R>(_ variables: [String: String?], _ body: () throws -> R) rethrows -> R {
    var saved: [String: String?] = [:]
    for (name, value) in variables {
        saved[name] = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try body()
}

/// A Unix datagram socket bound in a fresh temporary directory: stands in for systemd's
/// notification socket.
final class NotifySocketListener {
    let directory: String
    let path: String
    let fd: Int32

    init() {
        var template = Array("/tmp/meterd-notify-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            preconditionFailure("mkdtemp failed: errno \(errno)")
        }
        directory = String(cString: made)
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        precondition(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(bound == 0, "bind \(path) failed: errno \(errno)")
    }

    deinit {
        close(fd)
        unlink(path)
        rmdir(directory)
    }

    /// Every datagram queued so far (sd_notify's sendmsg has returned, so they are all there).
    func receiveAll() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 { break }
            messages.append(String(decoding: buffer[0 ..< count], as: UTF8.self))
        }
        return messages
    }
}
