import MeterCore
import MeterIngest
import NIOHTTP1
import Prometheus

/// The daemon's HTTP endpoints:
/// - `GET /metrics`: Prometheus text format (metrics refreshed first),
/// - `GET /healthz`: 200 while the process runs,
/// - `GET /readyz`: 200 once every listener is bound, 503 before,
/// - `GET /debug/rollups?tenant=T`: a debug endpoint, the flushed totals of the in-memory
///   sink as JSON (not a stable API; usage queries will replace it).
public struct MeterRoutes: Sendable {
    let registry: PrometheusCollectorRegistry
    let reporter: MetricsReporter?
    let readiness: Readiness
    let rollups: InMemoryRollupSink?
    /// `/v1/entitlement` and `/v1/forecast`.
    public var entitlements = EntitlementRoutes(lookup: nil)

    public init(registry: PrometheusCollectorRegistry, reporter: MetricsReporter?, readiness: Readiness,
                rollups: InMemoryRollupSink?) {
        self.registry = registry
        self.reporter = reporter
        self.readiness = readiness
        self.rollups = rollups
    }

    public func respond(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return HTTPResponse(status: .methodNotAllowed, text: "method not allowed\n")
        }
        switch request.path {
        case "/metrics":
            reporter?.refresh()
            var body: [UInt8] = []
            registry.emit(into: &body)
            return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
        case "/healthz":
            return HTTPResponse(status: .ok, text: "ok\n")
        case "/readyz":
            return readiness.isReady ? HTTPResponse(status: .ok, text: "ready\n")
                : HTTPResponse(status: .serviceUnavailable, text: "not ready: listeners are binding\n")
        case "/v1/entitlement":
            return entitlements.respond(request, view: .entitlement)
        case "/v1/forecast":
            return entitlements.respond(request, view: .forecast)
        case "/debug/rollups":
            guard let rollups else {
                return HTTPResponse(status: .notFound, text: "rollups are kept in PostgreSQL only; set debug_rollups: true to keep a copy in memory\n")
            }
            guard let tenant = request.query["tenant"], !tenant.isEmpty else {
                return HTTPResponse(status: .badRequest, text: "the tenant query parameter is required\n")
            }
            return HTTPResponse(status: .ok, contentType: "application/json",
                                body: Array(RollupsJSON.render(tenant: tenant, rows: rollups.rows()).utf8))
        default:
            return HTTPResponse(status: .notFound, text: "not found\n")
        }
    }
}
