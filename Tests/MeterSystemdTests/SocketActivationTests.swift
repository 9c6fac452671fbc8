#if canImport(Glibc)
import Glibc
#endif
import MeterSystemd
import Testing

/// Reads LISTEN_* in this process: serialized, environment restored after each test.
///
/// A positive activation (descriptors 3, 4, ... really passed by systemd-socket-activate) needs
/// an executable to activate; that end-to-end test belongs to the daemon. Setting LISTEN_FDS for
/// this process would make sd_listen_fds set FD_CLOEXEC on whatever descriptors 3, 4, ... the
/// test runner has open, so it is not done here.
@Suite(.serialized) struct SocketActivationTests {
    @Test func nothingPassedWithoutListenFds() {
        withEnvironment(["LISTEN_FDS": nil, "LISTEN_PID": nil, "LISTEN_FDNAMES": nil]) {
            #expect(SocketActivation.listenFileDescriptors() == [])
            #expect(SocketActivation.listenDescriptorsWithNames() == [])
            #expect(SocketActivation.name(of: 3) == nil)
        }
    }

    @Test func descriptorsMeantForAnotherProcessAreIgnored() {
        withEnvironment(["LISTEN_FDS": "2", "LISTEN_PID": String(getpid() + 1), "LISTEN_FDNAMES": "udp:tcp"]) {
            #expect(SocketActivation.listenFileDescriptors() == [])
            #expect(SocketActivation.listenDescriptorsWithNames() == [])
        }
    }

    @Test func malformedListenFdsIsIgnored() {
        withEnvironment(["LISTEN_FDS": "many", "LISTEN_PID": String(getpid()), "LISTEN_FDNAMES": nil]) {
            #expect(SocketActivation.listenFileDescriptors() == [])
        }
    }

    @Test func socketKinds() {
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let tcp = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        let unixDatagram = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { for fd in [udp, tcp, unixDatagram] + pipeEnds { close(fd) } }

        #expect(SocketActivation.socketKind(of: udp) == .datagram)
        #expect(SocketActivation.isDatagramSocket(udp))
        #expect(!SocketActivation.isStreamSocket(udp))
        #expect(SocketActivation.socketKind(of: tcp) == .stream)
        #expect(SocketActivation.isStreamSocket(tcp))
        #expect(SocketActivation.socketKind(of: unixDatagram) == .datagram)
        #expect(SocketActivation.socketKind(of: pipeEnds[0]) == .other)
        #expect(SocketActivation.socketKind(of: -1) == .other)
    }
}
