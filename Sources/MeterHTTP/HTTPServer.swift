import Logging
import MeterIngest
import Metrics
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
    /// Further headers (`Allow`, `Retry-After`).
    public var headers: [(String, String)] = []

    public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public init(status: HTTPResponseStatus, text: String) {
        self.init(status: status, body: Array(text.utf8))
    }
}

/// A small HTTP/1.1 server on SwiftNIO for operational endpoints and `POST /v1/events`. The
/// responder runs on the connection's event loop, so it must be quick and non-blocking; event
/// requests answer later, once their events are durable (`HTTPEventsConnection`).
public struct HTTPServer: Service {
    public typealias Responder = @Sendable (HTTPRequest) -> HTTPResponse

    let address: ListenAddress
    let group: any EventLoopGroup
    let readiness: Readiness?
    let logger: Logger
    let responder: Responder
    let events: HTTPEventsEndpoint?
    let usage: UsageEndpoint?
    let auth: HTTPAuthenticator

    /// - Parameters:
    ///   - events: serves `POST /v1/events` when given.
    ///   - usage: serves `GET /v1/usage` when given (answered off the event loop).
    ///   - auth: who may call which path; checked at each request's head, before any route.
    public init(address: ListenAddress, group: any EventLoopGroup, readiness: Readiness?, logger: Logger,
                auth: HTTPAuthenticator, events: HTTPEventsEndpoint? = nil, usage: UsageEndpoint? = nil,
                responder: @escaping Responder) {
        self.address = address
        self.group = group
        self.readiness = readiness
        self.logger = logger
        self.auth = auth
        self.events = events
        self.usage = usage
        self.responder = responder
    }

    public func run() async throws {
        let responder = responder
        let events = events
        let usage = usage
        let auth = auth
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPResponderHandler(responder: responder, events: events, usage: usage,
                                                                                       auth: auth))
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

    /// Where the request being read is going.
    private enum Inbound {
        case idle
        /// A GET route: answered at the end (any body is ignored).
        case route(HTTPRequestHead)
        /// Answered with this response at the end; the body is discarded unread.
        case reject(HTTPRequestHead, HTTPResponse)
        /// `POST /v1/events`: the body so far.
        case collecting(HTTPRequestHead, HTTPEventFormat, ByteBuffer, started: NIODeadline)
        /// Answered already (413 before the end of the body): the rest is discarded, then the
        /// connection closes.
        case answered
    }

    private let responder: HTTPServer.Responder
    private let events: HTTPEventsEndpoint?
    private let usage: UsageEndpoint?
    private let auth: HTTPAuthenticator
    private var inbound = Inbound.idle
    private var eventsConnection: HTTPEventsConnection?
    private var context: ChannelHandlerContext?

    static let eventRequestSeconds = Metrics.Timer(label: "meterd_http_event_request_seconds")

    init(responder: @escaping HTTPServer.Responder, events: HTTPEventsEndpoint?, usage: UsageEndpoint?,
         auth: HTTPAuthenticator) {
        self.responder = responder
        self.events = events
        self.usage = usage
        self.auth = auth
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        eventsConnection?.connectionClosed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            inbound = route(head, context: context)
        case .body(var chunk):
            guard case .collecting(let head, let format, var body, let started) = inbound, let events else { return }
            guard body.readableBytes + chunk.readableBytes <= events.limits.maxBodyBytes else {
                inbound = .answered
                answerEvents(head, HTTPEventsResponse.bodyTooLarge(limit: events.limits.maxBodyBytes), started: started, close: true)
                return
            }
            inbound = .idle  // drop the enum's reference so `body` grows in place
            body.writeBuffer(&chunk)
            inbound = .collecting(head, format, body, started: started)
        case .end:
            let finished = inbound
            inbound = .idle
            switch finished {
            case .idle, .answered:
                break
            case .route(let head):
                let request = HTTPRequest(method: head.method, uri: head.uri)
                if let usage, request.path == UsageEndpoint.path {
                    answerLater(head) { await usage.respond(request) }
                } else {
                    write(responder(request), for: head, close: false)
                }
            case .reject(let head, let response):
                if HTTPRequest(method: head.method, uri: head.uri).path == HTTPEventsEndpoint.path {
                    answerEvents(head, response, started: .now(), close: false)
                } else {
                    write(response, for: head, close: false)
                }
            case .collecting(let head, let format, let body, let started):
                ingest(head, format: format, body: body, started: started, context: context)
            }
        }
    }

    /// Decides at the head where a request goes; a declared body beyond the limit is
    /// answered at once, before any of it is read.
    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) -> Inbound {
        let request = HTTPRequest(method: head.method, uri: head.uri)
        if let refusal = auth.refusal(path: request.path, authorization: head.headers.first(name: "Authorization")) {
            HTTPAuthResponse.count(refusal)
            return .reject(head, HTTPAuthResponse.unauthorized(refusal))
        }
        guard let events, request.path == HTTPEventsEndpoint.path else { return .route(head) }
        guard head.method == .POST else {
            var response = HTTPEventsResponse.error(.methodNotAllowed, code: "method_not_allowed",
                                                    message: "\(HTTPEventsEndpoint.path) takes POST")
            response.headers = [("Allow", "POST")]
            return .reject(head, response)
        }
        guard let contentType = head.headers.first(name: "Content-Type"),
              let format = HTTPEventFormat(contentType: contentType) else {
            return .reject(head, HTTPEventsResponse.error(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "Content-Type must be application/x-ndjson (one event per line) or application/json (an array of events)"))
        }
        let started = NIODeadline.now()
        if let length = head.headers.first(name: "Content-Length").flatMap({ Int($0) }), length > events.limits.maxBodyBytes {
            answerEvents(head, HTTPEventsResponse.bodyTooLarge(limit: events.limits.maxBodyBytes), started: started, close: true)
            return .answered
        }
        if head.headers[canonicalForm: "Expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            // The client (curl, for bodies over 1 KiB) waits for this before it sends the body.
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        return .collecting(head, format, context.channel.allocator.buffer(capacity: 0), started: started)
    }

    private func ingest(_ head: HTTPRequestHead, format: HTTPEventFormat, body: ByteBuffer, started: NIODeadline,
                        context: ChannelHandlerContext) {
        guard let events else { return }
        let document = body.withUnsafeReadableBytes {
            HTTPEventDocument.events(in: $0, format: format, maxEvents: events.limits.maxEvents)
        }
        switch document {
        case .failure(.tooManyEvents(let limit)):
            answerEvents(head, HTTPEventsResponse.tooManyEvents(limit: limit), started: started, close: false)
        case .failure(.syntax(let error)):
            answerEvents(head, HTTPEventsResponse.error(
                .badRequest, code: "malformed_json", message: "the body is not a JSON array of events: \(error)",
                extra: [("line", "\(error.line)"), ("column", "\(error.column)"), ("offset", "\(error.offset)")]),
                started: started, close: false)
        case .success(let parsed):
            let connection = eventsConnection ?? HTTPEventsConnection(endpoint: events, eventLoop: context.eventLoop)
            eventsConnection = connection
            connection.start(events: parsed) { response, close in
                self.answerEvents(head, response, started: started, close: close)
            }
        }
    }

    /// Writes an events response and counts it by status code with its duration.
    private func answerEvents(_ head: HTTPRequestHead, _ response: HTTPResponse, started: NIODeadline, close: Bool) {
        Counter(label: "meterd_http_event_requests_total", dimensions: [("code", "\(response.status.code)")]).increment()
        Self.eventRequestSeconds.recordNanoseconds(Int64(NIODeadline.now().uptimeNanoseconds &- started.uptimeNanoseconds))
        write(response, for: head, close: close)
    }

    /// Runs `respond` off the event loop and writes its response on it (the pipeline handler
    /// holds a pipelined next request until this one's response has ended).
    private func answerLater(_ head: HTTPRequestHead, _ respond: @escaping @Sendable () async -> HTTPResponse) {
        guard let context else { return }
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        Task {
            let response = await respond()
            loop.execute { handler.value.write(response, for: head, close: false) }
        }
    }

    private func write(_ response: HTTPResponse, for head: HTTPRequestHead, close: Bool) {
        guard let context, context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive && !close
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
