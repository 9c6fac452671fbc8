@testable import MeterIngest
import Testing

@Suite struct KernelUDPDropsTests {
    // Two sockets on port 8125 (0x1FBD: IPv4 and IPv6 rows), one on another port.
    static let sample = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
         1105: 0100007F:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41234 2 0000000000000000 17
         1106: 0100007F:1FBE 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41235 2 0000000000000000 5
         1107: 00000000000000000000000001000000:1FBD 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41236 2 0000000000000000 3
        """

    @Test func sumsTheDropsColumnOfTheWatchedPort() {
        #expect(KernelUDPDrops.drops(inProcNetUDP: Self.sample, port: 8125) == 20)
        #expect(KernelUDPDrops.drops(inProcNetUDP: Self.sample, port: 8126) == 5)
        #expect(KernelUDPDrops.drops(inProcNetUDP: Self.sample, port: 9999) == nil)
    }

    @Test func readsTheRealTableForABoundSocket() throws {
        let drops = KernelUDPDrops()
        #expect(drops.total() == nil)
        // A socket this test binds must appear in /proc/net/udp with zero drops.
        let socket = try BoundUDPSocket()
        defer { socket.close() }
        drops.watch(port: socket.port)
        #expect(drops.total() == 0)
    }
}

#if canImport(Glibc)
import Glibc

/// A UDP socket bound to a free loopback port, for reading its /proc/net/udp row.
struct BoundUDPSocket {
    struct Failure: Error {}
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure() }
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure() }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Failure() }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
#endif
