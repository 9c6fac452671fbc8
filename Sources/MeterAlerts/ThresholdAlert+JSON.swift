import MeterCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The alert's JSON form, version 1 (docs/alerts.md "Payload"): one object, keys in this order,
/// quantities as exact decimal strings, times in RFC 3339 UTC.
///
///     {"version":1,"id":"…","tenant":"acme","metric":"api.calls","level":90,
///      "period_start":"2026-12-01T00:00:00Z","period_end":"2027-01-01T00:00:00Z",
///      "used":"901","quota":"1000","crossed_at":"2026-12-02T01:23:45.678Z"}
///
/// Fields are only ever added under version 1; a change of meaning gets version 2.
extension ThresholdAlert {
    public static let jsonVersion = 1

    public var json: String {
        var text = "{\"version\":\(Self.jsonVersion),\"id\":"
        JSONString.append(id, to: &text)
        text += ",\"tenant\":"
        JSONString.append(tenant, to: &text)
        text += ",\"metric\":"
        JSONString.append(metric, to: &text)
        text += ",\"level\":\(level.rawValue),\"period_start\":"
        JSONString.append(RFC3339.format(milliseconds: periodStart * 1000, withFraction: false), to: &text)
        text += ",\"period_end\":"
        JSONString.append(RFC3339.format(milliseconds: periodEnd * 1000, withFraction: false), to: &text)
        text += ",\"used\":"
        JSONString.append(used.description, to: &text)
        text += ",\"quota\":"
        JSONString.append(quota.description, to: &text)
        text += ",\"crossed_at\":"
        JSONString.append(RFC3339.format(milliseconds: crossedAtMilliseconds, withFraction: true), to: &text)
        return text + "}"
    }
}

/// RFC 3339 UTC timestamps (`2026-12-02T01:23:45.678Z`) from Unix milliseconds.
public enum RFC3339 {
    public static func format(milliseconds: Int64, withFraction: Bool) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let fraction = milliseconds - seconds * 1000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { String(value).leftPadded(to: 2) }
        var text = "\(String(parts.tm_year + 1900).leftPadded(to: 4))-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
        text += "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if withFraction { text += "." + String(fraction).leftPadded(to: 3) }
        return text + "Z"
    }
}
