import Logging
import MeterCore
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The UDP listener: one datagram channel with vectored reads (`recvmmsg`).
public struct UDPListener: Service {
    public struct Settings: Sendable {
        public var address: ListenAddress
        /// Datagrams per `recvmmsg` call.
        public var vectorReadCount = 64
        /// Bytes per datagram slot of a vectored read, a power of two (NIO splits one
        /// allocation, rounded up to a power of two, into equal slots). A datagram that fills
        /// its slot may have been cut by the kernel: its complete lines are counted and the
        /// remainder is refused as `datagram_truncated`. So the longest datagram taken whole is
        /// `slotBytes - 1`.
        public var slotBytes = 16 * 1024
        public var maxDatagramBytes: Int { slotBytes - 1 }
        /// Requested `SO_RCVBUF`; the kernel caps it at `net.core.rmem_max`.
        public var receiveBufferBytes = 8 * 1024 * 1024
        /// An already bound datagram socket to use instead of binding `address` (systemd socket
        /// activation); the listener takes ownership and closes it.
        public var boundSocket: NIOBSDSocket.Handle?

        public init(address: ListenAddress, boundSocket: NIOBSDSocket.Handle? = nil) {
            self.address = address
            self.boundSocket = boundSocket
        }
    }

    let settings: Settings
    let engine: MeterEngine
    let stats: IngestStats
    let readiness: Readiness
    let group: any EventLoopGroup
    let logger: Logger

    public init(settings: Settings, engine: MeterEngine, stats: IngestStats, readiness: Readiness,
                group: any EventLoopGroup, logger: Logger) {
        self.settings = settings
        self.engine = engine
        self.stats = stats
        self.readiness = readiness
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        precondition(settings.slotBytes > 0 && settings.slotBytes & (settings.slotBytes - 1) == 0,
                     "slotBytes must be a power of two")
        let engine = engine
        let stats = stats
        let slots = settings.vectorReadCount
        let bootstrap = DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: .init(settings.receiveBufferBytes))
            .channelOption(.datagramVectorReadMessageCount, value: slots)
            .channelOption(.maxMessagesPerRead, value: 4)
            // One buffer per read, split by NIO into `slots` datagram slots.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: slots * settings.slotBytes))
            .channelInitializer { [maxDatagramBytes = settings.maxDatagramBytes] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = DatagramIngestHandler(worker: engine.makeWorker(policy: .drop), stats: stats,
                                                        maxDatagramBytes: maxDatagramBytes)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        if let socket = settings.boundSocket {
            channel = try await bootstrap.withBoundSocket(socket).get()
        } else {
            channel = try await bootstrap.bind(host: settings.address.host, port: settings.address.port).get()
        }
        let receiveBuffer = try? await channel.getOption(.socketOption(.so_rcvbuf)).get()
        if let port = channel.localAddress?.port { stats.kernelUDPDrops.watch(port: port) }
        readiness.markBound("udp")
        logger.info("listening", metadata: [
            "listener": "udp", "address": "\(channel.localAddress.map { "\($0)" } ?? "\(settings.address)")",
            "socket_activated": "\(settings.boundSocket != nil)",
            "socket.rcvbuf_bytes": "\(receiveBuffer.map { String($0) } ?? "unknown")",
        ])
        try? await gracefulShutdown()
        try? await channel.close()
        logger.info("listener closed", metadata: ["listener": "udp"])
    }
}
