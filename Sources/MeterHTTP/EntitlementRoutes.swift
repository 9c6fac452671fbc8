import NIOHTTP1

/// `GET /v1/entitlement?tenant=T&metric=M` and `GET /v1/forecast?tenant=T&metric=M`
/// (docs/http-api.md): the quota tracker answers at once, from memory, on the event loop.
public struct EntitlementRoutes: Sendable {
    public enum View: Sendable {
        case entitlement
        case forecast
    }

    /// The status code and JSON body for a tenant and metric.
    public typealias Lookup = @Sendable (_ tenant: String, _ metric: String, _ view: View) -> (status: Int, json: String)

    let lookup: Lookup?

    /// - Parameter lookup: nil when plans are not configured (the routes answer 404 saying so).
    public init(lookup: Lookup?) {
        self.lookup = lookup
    }

    func respond(_ request: HTTPRequest, view: View) -> HTTPResponse {
        guard let lookup else {
            return Self.json(.notFound, "{\"error\":\"entitlement checks need plans.file and postgres (docs/quotas.md)\"}")
        }
        for name in ["tenant", "metric"] where (request.query[name] ?? "").isEmpty {
            return Self.json(.badRequest, "{\"error\":\"the \(name) query parameter is required\"}")
        }
        let (status, body) = lookup(request.query["tenant"]!, request.query["metric"]!, view)
        var response = Self.json(HTTPResponseStatus(statusCode: status), body)
        if status == 503 { response.headers.append(("Retry-After", "1")) }
        return response
    }

    static func json(_ status: HTTPResponseStatus, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: Array(body.utf8))
    }
}
