import MeterCore
import MeterIngest
import Metrics
import NIOHTTP1

/// The 401 answer of a request without a valid bearer token (docs/http-api.md
/// "Authentication"), and its count in `meterd_http_auth_failures_total{reason}`.
enum HTTPAuthResponse {
    static func unauthorized(_ refusal: HTTPAuthenticator.Refusal) -> HTTPResponse {
        // RFC 6750 section 3: the error attribute only when a token was presented and is bad.
        var challenge = "Bearer realm=\"meterd\""
        if refusal == .invalid || refusal == .malformed {
            challenge += ", error=\"\(refusal == .invalid ? "invalid_token" : "invalid_request")\""
        }
        return HTTPEventsResponse.error(.unauthorized, code: "unauthorized", message: refusal.message,
                                        extra: [("reason", JSONString.quoted(refusal.rawValue))],
                                        headers: [("WWW-Authenticate", challenge)])
    }

    static func count(_ refusal: HTTPAuthenticator.Refusal) {
        Counter(label: "meterd_http_auth_failures_total", dimensions: [("reason", refusal.rawValue)]).increment()
    }
}
