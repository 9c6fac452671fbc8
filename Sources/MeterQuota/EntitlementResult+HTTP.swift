import MeterCore

/// `GET /v1/entitlement` and `GET /v1/forecast` answers (docs/http-api.md): the status code and
/// the JSON body.
extension EntitlementResult {
    public enum View: Sendable {
        /// used, limit, remaining, allowed (and the forecast).
        case entitlement
        /// The forecast, with the usage it starts from.
        case forecast
    }

    public func http(tenant: String, metric: String, view: View) -> (status: Int, json: String) {
        switch self {
        case .answer(let answer):
            return (200, answer.json(withForecast: view == .forecast))
        case .noSubscription:
            return (404, Self.error("tenant has no subscription in force", tenant: tenant, metric: metric, reason: reason))
        case .seeding:
            return (503, Self.error("the tenant's usage is being read; retry shortly", tenant: tenant, metric: metric, reason: reason))
        case .unknownPlan(let plan):
            return (200, Self.denied("the subscription names plan '\(plan)', which the catalog lacks", tenant: tenant, metric: metric, reason: reason))
        case .beforeAnchor:
            return (200, Self.denied("the subscription's billing anchor lies ahead: no period has started", tenant: tenant, metric: metric, reason: reason))
        }
    }

    private static func error(_ message: String, tenant: String, metric: String, reason: String) -> String {
        var text = "{\"error\":"
        JSONString.append(message, to: &text)
        return text + fields(tenant: tenant, metric: metric, reason: reason) + "}"
    }

    private static func denied(_ message: String, tenant: String, metric: String, reason: String) -> String {
        var text = "{\"allowed\":false,\"message\":"
        JSONString.append(message, to: &text)
        return text + fields(tenant: tenant, metric: metric, reason: reason) + "}"
    }

    private static func fields(tenant: String, metric: String, reason: String) -> String {
        var text = ",\"tenant\":"
        JSONString.append(tenant, to: &text)
        text += ",\"metric\":"
        JSONString.append(metric, to: &text)
        return text + ",\"reason\":\"\(reason)\""
    }
}
