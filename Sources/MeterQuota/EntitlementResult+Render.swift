import MeterAlerts
import MeterCore
import MeterPlans

/// The entitlement check's answers as JSON (HTTP, `meterctl check`) and as one line (the
/// stream protocol's `#check`), with the same fields (docs/quotas.md "Entitlement check").
extension EntitlementResult {
    /// The reason word for an answer that has no usage.
    public var reason: String {
        switch self {
        case .answer(let answer): answer.reason
        case .noSubscription: "no_subscription"
        case .unknownPlan: "unknown_plan"
        case .beforeAnchor: "before_billing_anchor"
        case .seeding: "seeding"
        }
    }

    /// `#checked <tenant> <metric> allowed=yes|no|unknown reason=<word>` and, with usage,
    /// ` used=<d> limit=<d>|unlimited|none remaining=<d>|unlimited plan=<id> period_start=<t> period_end=<t>`.
    public func line(tenant: String, metric: String) -> String {
        guard case .answer(let answer) = self else {
            let allowed = if case .seeding = self { "unknown" } else { "no" }
            return "#checked \(tenant) \(metric) allowed=\(allowed) reason=\(reason)"
        }
        var text = "#checked \(tenant) \(metric) allowed=\(answer.allowed ? "yes" : "no") reason=\(answer.reason)"
        text += " used=\(answer.used) limit=\(answer.limitText) remaining=\(answer.remainingText)"
        text += " plan=\(answer.plan) period_start=\(RFC3339.format(milliseconds: answer.window.period.start * 1000, withFraction: false))"
        text += " period_end=\(RFC3339.format(milliseconds: answer.window.period.end * 1000, withFraction: false))"
        return text
    }
}

extension EntitlementAnswer {
    var limitText: String { unlimited ? "unlimited" : limit.map(\.description) ?? "none" }
    var remainingText: String { remaining.map(\.description) ?? "unlimited" }

    /// The answer as a JSON object; decimals are strings, `null` where unlimited.
    public func json(withForecast: Bool = true) -> String {
        var text = "{\"tenant\":"
        JSONString.append(tenant, to: &text)
        text += ",\"metric\":"
        JSONString.append(metric, to: &text)
        text += ",\"plan\":"
        JSONString.append(plan, to: &text)
        text += ",\"in_plan\":\(inPlan),\"allowed\":\(allowed),\"within_quota\":\(withinQuota),\"reason\":\"\(reason)\""
        text += ",\"used\":\"\(used)\",\"limit\":\(limit.map { "\"\($0)\"" } ?? "null")"
        text += ",\"unlimited\":\(unlimited),\"remaining\":\(remaining.map { "\"\($0)\"" } ?? "null")"
        text += ",\"overage_price\":\(overagePrice.map { "\"\($0)\"" } ?? "null")"
        text += ",\"period_start\":\"\(RFC3339.format(milliseconds: window.period.start * 1000, withFraction: false))\""
        text += ",\"period_end\":\"\(RFC3339.format(milliseconds: window.period.end * 1000, withFraction: false))\""
        text += ",\"usage_from\":\"\(RFC3339.format(milliseconds: window.start * 1000, withFraction: false))\""
        text += ",\"events\":\(usage.events)"
        text += ",\"as_of\":\"\(RFC3339.format(milliseconds: nowMilliseconds, withFraction: true))\""
        if withForecast {
            let forecast = self.forecast
            text += ",\"forecast\":{\"method\":\"\(forecast.method)\",\"projected\":\"\(forecast.projected)\""
            text += ",\"elapsed_seconds\":\(forecast.elapsedSeconds),\"remaining_seconds\":\(forecast.remainingSeconds)"
            text += ",\"projected_overage\":\(forecast.projectedOverage.map { "\"\($0)\"" } ?? "null")"
            text += ",\"projected_overage_cost\":\(forecast.projectedOverageCost.map { "\"\($0)\"" } ?? "null")}"
        }
        return text + "}"
    }
}
