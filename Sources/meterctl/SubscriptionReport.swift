import MeterBilling
import MeterPlans

/// What `meterctl subscription show` prints: as text for people, or one JSON object (instants
/// as ISO 8601 UTC strings, absent values as null).
struct SubscriptionReport {
    var tenant: String
    var account: BillingAccount?
    var rows: [SubscriptionRow]
    var events: [SubscriptionEvent]

    static func accountLine(_ account: BillingAccount) -> String {
        "account \(account.tenant): \(account.status.rawValue), invoice prefix \(account.invoicePrefix), "
            + "region \(account.region ?? "-"), name \(account.name ?? "-"), email \(account.email ?? "-")"
    }

    var text: String {
        var lines = [account.map(Self.accountLine) ?? "account \(tenant): none"]
        lines.append("rows:")
        for row in rows {
            let s = row.subscription
            var line = "  #\(row.id) \(s.planID) \(s.cycle.rawValue) \(s.seats) seat\(s.seats == 1 ? "" : "s") "
                + "[\(time(s.startedAt)), \(s.endedAt.map(time) ?? "open")) anchor \(time(s.billingAnchor))"
            if let trial = s.trialEndsAt { line += " trial until \(time(trial))" }
            lines.append(line)
        }
        lines.append("events:")
        for event in events {
            var line = "  \(time(event.occurredAt)) \(event.kind.rawValue)"
            if let to = event.toStatus { line += " \(event.fromStatus?.rawValue ?? "none") -> \(to.rawValue)" }
            if let plan = event.planID { line += " (\(plan), \(event.cycle?.rawValue ?? "-"), \(event.seats.map(String.init) ?? "-") seats)" }
            if let detail = event.detail { line += ": \(detail)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    var json: String {
        let accountJSON = account.map { a in
            object([("status", string(a.status.rawValue)), ("invoice_prefix", string(a.invoicePrefix)), ("region", string(a.region)),
                    ("name", string(a.name)), ("email", string(a.email)), ("created_at", string(time(a.createdAt))),
                    ("updated_at", string(time(a.updatedAt)))])
        } ?? "null"
        let rowsJSON = rows.map { row in
            let s = row.subscription
            return object([("id", String(row.id)), ("plan", string(s.planID)), ("cycle", string(s.cycle.rawValue)),
                           ("seats", String(s.seats)), ("billing_anchor", string(time(s.billingAnchor))),
                           ("started_at", string(time(s.startedAt))), ("ended_at", string(s.endedAt.map(time))),
                           ("trial_ends_at", string(s.trialEndsAt.map(time)))])
        }
        let eventsJSON = events.map { e in
            object([("id", String(e.id)), ("event", string(e.kind.rawValue)), ("occurred_at", string(time(e.occurredAt))),
                    ("recorded_at", string(time(e.recordedAt))), ("from_status", string(e.fromStatus?.rawValue)),
                    ("to_status", string(e.toStatus?.rawValue)), ("plan", string(e.planID)), ("seats", e.seats.map(String.init) ?? "null"),
                    ("cycle", string(e.cycle?.rawValue)), ("detail", string(e.detail))])
        }
        return object([("tenant", string(tenant)), ("status", string(account?.status.rawValue)), ("account", accountJSON),
                       ("rows", "[" + rowsJSON.joined(separator: ",") + "]"),
                       ("events", "[" + eventsJSON.joined(separator: ",") + "]")]) + "\n"
    }

    private func time(_ seconds: Int64) -> String { CivilTime(unixSeconds: seconds).description }

    private func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string (null for nil), escaping quotes, backslashes and control characters.
    private func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
