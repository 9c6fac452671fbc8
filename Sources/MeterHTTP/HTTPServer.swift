import Logging
import MeterIngest
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// One HTTP request as the routes see it: method, path and query parameters.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var query: [String: String]

    public init(method: HTTPMethod, uri: String) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts.first ?? "")
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(kv[0]).removingPercentEncoding] = kv.count == 2 ? String(kv[1]).removingPercentEncoding : ""
            }
        }
        self.query = query
    }
}

/// A complete response; bodies here are small (metrics text, JSON).
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public init(status: HTTPResponseStatus, text: String) {
        self.init(status: status, body: Array(text.utf8))
    }
}

/// A small HTTP/1.1 server on SwiftNIO for operational endpoints; the responder runs on the
/// connection's event loop, so it must be quick and non-blocking.
public struct HTTPServer: Service {
    public typealias Responder = @Sendable (HTTPRequest) -> HTTPResponse

    let address: ListenAddress
    let group: any EventLoopGroup
    let readiness: Readiness?
    let logger: Logger
    let responder: Responder

    public init(address: ListenAddress, group: any EventLoopGroup, readiness: Readiness?, logger: Logger,
                responder: @escaping Responder) {
        self.address = address
        self.group = group
        self.readiness = readiness
        self.logger = logger
        self.responder = responder
    }

    public func run() async throws {
        let responder = responder
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPResponderHandler(responder: responder))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        readiness?.markBound("http")
        logger.info("listening", metadata: ["listener": "http", "address": "\(address)"])
        try? await gracefulShutdown()
        try? await channel.close()
        logger.info("listener closed", metadata: ["listener": "http"])
    }
}

final class HTTPResponderHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: HTTPServer.Responder
    private var head: HTTPRequestHead?

    init(responder: @escaping HTTPServer.Responder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break  // no endpoint takes a body yet
        case .end:
            guard let head else { return }
            self.head = nil
            let response = responder(HTTPRequest(method: head.method, uri: head.uri))
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: String(response.body.count))
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status,
                                                                 headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }
    }
}

@available(*, unavailable)
extension HTTPResponderHandler: Sendable {}

extension String {
    /// Decodes `%XX` escapes and `+` (form encoding); invalid escapes are kept as they are.
    var removingPercentEncoding: String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
