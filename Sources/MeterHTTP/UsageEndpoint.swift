import MeterCore
import MeterIngest
import Metrics
import NIOHTTP1

/// `GET /v1/usage` (docs/http-api.md "Usage"): parses the parameters, runs the query through
/// `UsageQueries` (off the event loop) and answers JSON; counts every request by outcome in
/// `meterd_usage_requests_total{outcome}` and its duration in `meterd_usage_request_seconds`.
public struct UsageEndpoint: Sendable {
    public static let path = "/v1/usage"
    /// Seconds a client is told to wait after a 503.
    static let retryAfterSeconds = 1

    public let queries: UsageQueries

    public init(queries: UsageQueries) {
        self.queries = queries
    }

    static let requestSeconds = Metrics.Timer(label: "meterd_usage_request_seconds")

    public func respond(_ request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        let (response, outcome) = await answer(request)
        Counter(label: "meterd_usage_requests_total", dimensions: [("outcome", outcome)]).increment()
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        Self.requestSeconds.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return response
    }

    /// The response and its outcome label: ok, bad_request, method_not_allowed,
    /// unknown_tenant, busy, unavailable.
    func answer(_ request: HTTPRequest) async -> (HTTPResponse, String) {
        guard request.method == .GET || request.method == .HEAD else {
            var response = HTTPEventsResponse.error(.methodNotAllowed, code: "method_not_allowed", message: "\(Self.path) takes GET")
            response.headers = [("Allow", "GET")]
            return (response, "method_not_allowed")
        }
        let parsed: UsageRequest
        switch UsageParameters.parse(request.query, limits: queries.limits) {
        case .failure(let problem):
            return (HTTPEventsResponse.error(.badRequest, code: problem.code, message: problem.message,
                                             extra: [("parameter", JSONString.quoted(problem.parameter))]), "bad_request")
        case .success(let request):
            parsed = request
        }
        do {
            let answer = try await queries.usage(parsed)
            return (HTTPResponse(status: .ok, contentType: "application/json",
                                 body: Array(UsageJSON.render(answer, request: parsed).utf8)), "ok")
        } catch UsageQueryError.unknownTenant(let tenant) {
            return (HTTPEventsResponse.error(.notFound, code: "unknown_tenant",
                                             message: "meterd has never counted an event of tenant '\(tenant)'"), "unknown_tenant")
        } catch UsageQueryError.busy(let limit) {
            return (HTTPEventsResponse.error(.serviceUnavailable, code: "busy",
                                             message: "usage_query.max_in_flight (\(limit)) queries are running; retry shortly",
                                             headers: [("Retry-After", "\(Self.retryAfterSeconds)")]), "busy")
        } catch {
            let message = if case UsageQueryError.unavailable(let why) = error { why } else { "\(error)" }
            return (HTTPEventsResponse.error(.serviceUnavailable, code: "unavailable", message: message,
                                             headers: [("Retry-After", "\(Self.retryAfterSeconds)")]), "unavailable")
        }
    }
}
