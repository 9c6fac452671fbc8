import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// POSTs each alert's JSON to a URL (http or https), signed with HMAC-SHA256
/// (`AlertSignature`), on AsyncHTTPClient. The runner thread waits for each answer (a blocked
/// dedicated thread, never an event loop); `timeout` bounds connecting and the whole request.
///
/// 2xx: delivered. 408, 429, 5xx, timeouts and connection errors: retried. Any other status
/// (4xx, or a redirect, which is not followed: a signed alert goes where it was configured to):
/// given up at once. The secret is never logged; `description` omits it.
public final class WebhookSink: AlertSink, CustomStringConvertible {
    public let name = "webhook"
    let url: String
    private let secret: String
    let timeout: Duration
    private let client: HTTPClient

    public init(url: String, secret: String, timeout: Duration) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
        let amount = TimeAmount.nanoseconds(timeout.nanoseconds)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            redirectConfiguration: .disallow, timeout: .init(connect: amount, read: amount)))
    }

    public var description: String { "WebhookSink(url: <redacted>, timeout: \(timeout))" }

    public func attempt(_ delivery: AlertDelivery) -> AttemptOutcome {
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "User-Agent", value: "meterd-alerts/1")
            headers.add(name: "Meterd-Alert-Id", value: delivery.id)
            headers.add(name: AlertSignature.headerName,
                        value: AlertSignature.header(body: delivery.body, secret: secret, timestamp: Int64(time(nil))))
            let request = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .string(delivery.body))
            let response = try client.execute(request: request, deadline: .now() + .nanoseconds(timeout.nanoseconds)).wait()
            return Self.outcome(status: Int(response.status.code))
        } catch let error as HTTPClientError {
            if [.readTimeout, .connectTimeout, .deadlineExceeded].contains(error) { return .retry(reason: "timeout") }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) { return .permanent(reason: "invalid_url") }
            if error == .remoteConnectionClosed { return .retry(reason: "connection_closed") }
            return .retry(reason: "http_error")
        } catch {
            return .retry(reason: "connect")
        }
    }

    /// The classification of an answer's status code.
    static func outcome(status: Int) -> AttemptOutcome {
        switch status {
        case 200..<300: .delivered
        case 408, 429: .retry(reason: "http_\(status)")
        case 500..<600: .retry(reason: "http_5xx")
        case 400..<500: .permanent(reason: "http_4xx")
        default: .permanent(reason: "http_\(status / 100)xx")
        }
    }

    public func close() {
        try? client.syncShutdown()
    }
}
