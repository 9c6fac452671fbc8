import Foundation
import MeterAlerts
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A webhook receiver the tests run (shared by the alert and end-to-end tests): a small NIO HTTP/1.1 server on loopback that verifies
/// each request's `Meterd-Signature` with the shared secret, records it, and answers with the
/// status `answer` chooses for the n-th request (0-based).
public final class WebhookReceiver: Sendable {
    public struct Request: Sendable {
        public var alertID: String?
        public var body: String
        public var verdict: AlertSignature.Verdict
        public var status: Int
    }

    public let secret: String
    public let answer: @Sendable (Int) -> Int
    private let log = Mutex<[Request]>([])
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public init(secret: String, answer: @escaping @Sendable (Int) -> Int = { _ in 200 }) {
        self.secret = secret
        self.answer = answer
    }

    /// Binds a free loopback port (or `port`); returns the URL to post to.
    public func start(port: Int = 0) throws -> String {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(receiver: self))
                }
            }
        let bound = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        channel.withLock { $0 = bound }
        return "http://127.0.0.1:\(bound.localAddress!.port!)/hooks/meterd"
    }

    public func stop() {
        if let bound = channel.withLock({ $0 }) { try? bound.close().wait() }
        try? group.syncShutdownGracefully()
    }

    public var requests: [Request] { log.withLock { $0 } }
    /// Requests answered 2xx, in arrival order.
    public var accepted: [Request] { requests.filter { (200..<300).contains($0.status) } }

    /// Waits until `condition` holds on the requests or `timeout` passes.
    public func waitFor(timeout: Duration = .seconds(10), _ condition: ([Request]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(requests) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(requests)
    }

    fileprivate func received(head: HTTPRequestHead, body: String) -> Int {
        log.withLock { log in
            let verdict = head.headers.first(name: AlertSignature.headerName).map {
                AlertSignature.verify(header: $0, body: body, secret: secret, now: Int64(Date().timeIntervalSince1970))
            } ?? .malformed
            let status = verdict == .valid ? answer(log.count) : 401
            log.append(Request(alertID: head.headers.first(name: "Meterd-Alert-Id"), body: body, verdict: verdict, status: status))
            return status
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let receiver: WebhookReceiver
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(receiver: WebhookReceiver) { self.receiver = receiver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                let status = receiver.received(head: head, body: String(buffer: body))
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                let response = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
