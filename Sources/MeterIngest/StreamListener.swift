import Logging
import MeterCore
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A newline-delimited stream listener (TCP or Unix domain socket): one `StreamIngestHandler`
/// per connection, each on its channel's event loop.
public struct StreamListener: Service {
    public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
        case tcp(ListenAddress)
        case unix(path: String)

        var transport: Transport {
            switch self {
            case .tcp: .tcp
            case .unix: .unix
            }
        }

        public var description: String {
            switch self {
            case .tcp(let address): "\(address)"
            case .unix(let path): path
            }
        }
    }

    let endpoint: Endpoint
    /// An already bound, listening stream socket to use instead of binding `endpoint` (systemd
    /// socket activation); the listener takes ownership and closes it, but never unlinks a Unix
    /// socket path it did not create.
    let boundSocket: NIOBSDSocket.Handle?
    let engine: MeterEngine
    let stats: IngestStats
    let readiness: Readiness
    let group: any EventLoopGroup
    let logger: Logger
    /// Answers `#check <tenant> <metric>` with its `#checked` line (the quota tracker); nil:
    /// checks are answered `#error check_unavailable` (no plans configured).
    public var entitlementCheck: EntitlementCheck? = nil

    public init(endpoint: Endpoint, boundSocket: NIOBSDSocket.Handle? = nil, engine: MeterEngine, stats: IngestStats,
                readiness: Readiness, group: any EventLoopGroup, logger: Logger) {
        self.endpoint = endpoint
        self.boundSocket = boundSocket
        self.engine = engine
        self.stats = stats
        self.readiness = readiness
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        let tracker = ConnectionTracker()
        let engine = engine
        let stats = stats
        let transport = endpoint.transport
        let check = entitlementCheck
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = StreamIngestHandler(worker: engine.makeWorker(policy: .report), transport: transport,
                                                      stats: stats, tracker: tracker, barriers: engine.barriers,
                                                      entitlementCheck: check)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        switch (endpoint, boundSocket) {
        case (_, let socket?):
            channel = try await bootstrap.withBoundSocket(socket).get()
        case (.tcp(let address), nil):
            channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        case (.unix(let path), nil):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
        readiness.markBound(transport.label)
        logger.info("listening", metadata: [
            "listener": "\(transport.label)", "address": "\(endpoint)", "socket_activated": "\(boundSocket != nil)",
        ])

        try? await gracefulShutdown()
        try? await channel.close()
        tracker.closeAll()
        await tracker.waitUntilFinished()
        if case .unix(let path) = endpoint, boundSocket == nil { unlink(path) }
        logger.info("listener closed", metadata: ["listener": "\(transport.label)"])
    }
}

/// The `#check <tenant> <metric>` answer line of the stream protocol (`CheckCommand`).
public typealias EntitlementCheck = @Sendable (_ tenant: String, _ metric: String) -> String
