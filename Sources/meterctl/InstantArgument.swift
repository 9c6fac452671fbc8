import ArgumentParser
import MeterPlans

#if canImport(Glibc)
import Glibc
#endif

/// `--at` values: an ISO 8601 UTC instant (`2026-03-10T00:00:00Z`), a date (`2026-03-10`,
/// midnight UTC) or Unix seconds; the current time when absent.
enum InstantArgument {
    static func seconds(_ text: String?, option: String = "--at") throws -> Int64 {
        guard let text else { return Int64(time(nil)) }
        if let seconds = Int64(text) { return seconds }
        guard let parsed = CivilTime(iso8601: text) else {
            throw ValidationError("\(option): '\(text)' is not an instant (2026-03-10T00:00:00Z, 2026-03-10 or Unix seconds)")
        }
        return parsed.unixSeconds
    }
}
