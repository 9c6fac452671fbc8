import MeterCore
import MeterIngest
import NIOHTTP1

/// The JSON bodies of `POST /v1/events` (docs/http-api.md).
enum HTTPEventsResponse {
    /// 200: every event's outcome in request order, the totals, whether the accepted events
    /// are durable, and one explanation per refusal reason that occurs.
    static func outcomes(_ outcomes: [HTTPEventOutcome], durable: Bool) -> HTTPResponse {
        var accepted = 0, duplicate = 0, refused = 0
        var reasons: [RefusalReason] = []
        var events = ""
        events.reserveCapacity(outcomes.count * 40)
        for (index, outcome) in outcomes.enumerated() {
            if index > 0 { events += "," }
            switch outcome {
            case .accepted:
                accepted += 1
                events += "{\"index\":\(index),\"status\":\"accepted\"}"
            case .duplicate:
                duplicate += 1
                events += "{\"index\":\(index),\"status\":\"duplicate\"}"
            case .refused(let reason):
                refused += 1
                if !reasons.contains(reason) { reasons.append(reason) }
                events += "{\"index\":\(index),\"status\":\"refused\",\"reason\":\"\(reason.label)\"}"
            }
        }
        let explanations = reasons.sorted { $0.rawValue < $1.rawValue }
            .map { "\"\($0.label)\":\(JSONString.quoted($0.explanation))" }.joined(separator: ",")
        let body = "{\"durable\":\(durable),\"accepted\":\(accepted),\"duplicate\":\(duplicate),\"refused\":\(refused),"
            + "\"events\":[\(events)],\"reasons\":{\(explanations)}}\n"
        return HTTPResponse(status: .ok, contentType: "application/json", body: Array(body.utf8))
    }

    /// A request-level error: `{"error":"<code>","message":"...", ...extra}`.
    static func error(_ status: HTTPResponseStatus, code: String, message: String,
                      extra: [(String, String)] = [], headers: [(String, String)] = []) -> HTTPResponse {
        var body = "{\"error\":\(JSONString.quoted(code)),\"message\":\(JSONString.quoted(message))"
        for (key, json) in extra { body += ",\(JSONString.quoted(key)):\(json)" }
        body += "}\n"
        var response = HTTPResponse(status: status, contentType: "application/json", body: Array(body.utf8))
        response.headers = headers
        return response
    }

    static func bodyTooLarge(limit: Int) -> HTTPResponse {
        error(.payloadTooLarge, code: "body_too_large",
              message: "the request body is longer than http_events.max_body_bytes (\(limit) bytes); send fewer events per request",
              extra: [("limit", "\"http_events.max_body_bytes\""), ("max", "\(limit)")])
    }

    static func tooManyEvents(limit: Int) -> HTTPResponse {
        error(.payloadTooLarge, code: "too_many_events",
              message: "the request holds more than http_events.max_events (\(limit)) events; split it",
              extra: [("limit", "\"http_events.max_events\""), ("max", "\(limit)")])
    }
}
