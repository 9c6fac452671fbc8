#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The kernel's own count of datagrams it dropped for meterd's UDP socket (receive buffer
/// full), read from the `drops` column of `/proc/net/udp` and `/proc/net/udp6` for the bound
/// local port. The kernel counts from the socket's creation, so this is a running total.
public final class KernelUDPDrops: Sendable {
    private let port = Atomic<Int>(0)

    public init() {}

    /// Called by the UDP listener once bound.
    public func watch(port: Int) { self.port.store(port, ordering: .relaxed) }

    /// Datagrams dropped so far for the watched socket, or nil before the listener is bound or
    /// when `/proc` is unreadable.
    public func total() -> Int? {
        let port = port.load(ordering: .relaxed)
        guard port > 0 else { return nil }
        var found: Int? = nil
        for path in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = ProcFile.read(path) else { continue }
            if let drops = Self.drops(inProcNetUDP: text, port: port) { found = (found ?? 0) + drops }
        }
        return found
    }

    /// Sums the `drops` column (the last) of the rows whose local port is `port`.
    static func drops(inProcNetUDP text: String, port: Int) -> Int? {
        var total: Int? = nil
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 13, let colon = fields[1].lastIndex(of: ":"),
                  Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port,
                  let drops = Int(fields[fields.count - 1]) else { continue }
            total = (total ?? 0) + drops
        }
        return total
    }
}
