#if canImport(Glibc)
import Glibc
#endif
internal import CSystemd

/// systemd socket activation (`sd_listen_fds`): the sockets systemd opened for this process
/// from its `.socket` unit, passed as descriptors 3, 4, ... with `LISTEN_FDS`, `LISTEN_PID` and
/// optionally `LISTEN_FDNAMES` (`FileDescriptorName=`).
///
/// The environment is left in place (`unset_environment` 0) so names and counts can be read
/// more than once; `LISTEN_PID` keeps child processes from claiming the descriptors.
public enum SocketActivation {
    /// The first passed descriptor (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3

    /// What kind of socket a descriptor is.
    public enum SocketKind: Sendable, Hashable {
        case stream
        case datagram
        /// A socket of another type (seqpacket, raw), or not a socket at all.
        case other
    }

    /// A passed descriptor and its `FileDescriptorName=` (systemd defaults it to the socket
    /// unit's name, `"unknown"` when the manager passes none).
    public struct ListenDescriptor: Sendable, Hashable {
        public var fileDescriptor: Int32
        public var name: String
    }

    /// The passed descriptors, `[3, 4, ...]`; empty when not socket-activated (or `LISTEN_PID`
    /// names another process, or the variables are malformed).
    public static func listenFileDescriptors() -> [Int32] {
        let count = sd_listen_fds(0)
        guard count > 0 else { return [] }
        return (0 ..< count).map { firstDescriptor + $0 }
    }

    /// The passed descriptors with their names. The names array and each name are allocated by
    /// libsystemd with malloc; they are copied and freed here.
    public static func listenDescriptorsWithNames() -> [ListenDescriptor] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(0, &names)
        defer {
            if let names {
                // NULL-terminated array (strv): free every string, then the array.
                var index = 0
                while let name = names[index] {
                    free(name)
                    index += 1
                }
                free(names)
            }
        }
        guard count > 0 else { return [] }
        return (0 ..< Int(count)).map { index in
            let name = names.flatMap { $0[index] }.map { String(cString: $0) } ?? "unknown"
            return ListenDescriptor(fileDescriptor: firstDescriptor + Int32(index), name: name)
        }
    }

    /// The name of one passed descriptor; nil when `fileDescriptor` was not passed.
    public static func name(of fileDescriptor: Int32) -> String? {
        listenDescriptorsWithNames().first { $0.fileDescriptor == fileDescriptor }?.name
    }

    /// Whether `fileDescriptor` is a stream socket, a datagram socket or something else
    /// (`sd_is_socket`, any family, listening or not).
    public static func socketKind(of fileDescriptor: Int32) -> SocketKind {
        if sd_is_socket(fileDescriptor, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), -1) > 0 { return .stream }
        if sd_is_socket(fileDescriptor, AF_UNSPEC, Int32(SOCK_DGRAM.rawValue), -1) > 0 { return .datagram }
        return .other
    }

    public static func isDatagramSocket(_ fileDescriptor: Int32) -> Bool { socketKind(of: fileDescriptor) == .datagram }
    public static func isStreamSocket(_ fileDescriptor: Int32) -> Bool { socketKind(of: fileDescriptor) == .stream }
}
