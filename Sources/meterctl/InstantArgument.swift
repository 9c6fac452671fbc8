import ArgumentParser
import MeterPlans

#if canImport(Glibc)
import Glibc
#endif

/// Instants on meterctl's command line: an ISO 8601 UTC instant (`2026-03-10T00:00:00Z`), a
/// date (`2026-03-10`, midnight UTC) or Unix seconds.
enum InstantArgument {
    /// `text` as Unix seconds; `option` names the flag in the error.
    static func parse(_ text: String, option: String) throws -> Int64 {
        if let seconds = Int64(text) { return seconds }
        guard let parsed = CivilTime(iso8601: text) else {
            throw ValidationError("\(option) takes an ISO 8601 UTC instant (2026-03-10T00:00:00Z), a date (2026-03-10) or Unix seconds, got '\(text)'")
        }
        return parsed.unixSeconds
    }

    /// `text` parsed, or this machine's current time when absent.
    static func seconds(_ text: String?, option: String = "--at") throws -> Int64 {
        guard let text else { return Int64(time(nil)) }
        return try parse(text, option: option)
    }
}
