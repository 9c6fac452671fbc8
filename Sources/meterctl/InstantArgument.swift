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
        guard let parsed = parse(text) else {
            throw ValidationError("\(option): '\(text)' is not an instant (2026-03-10T00:00:00Z, 2026-03-10 or Unix seconds)")
        }
        return parsed
    }

    static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ bytes[$0] >= 48 && bytes[$0] <= 57 }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard bytes.count == 10 || bytes.count == 20, bytes[4] == 45, bytes[7] == 45,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...CivilTime.daysIn(year: year, month: month)).contains(day) else { return nil }
        var second = 0
        if bytes.count == 20 {
            guard bytes[10] == 84, bytes[13] == 58, bytes[16] == 58, bytes[19] == 90,
                  let hour = number(11..<13), let minute = number(14..<16), let secs = number(17..<19),
                  hour < 24, minute < 60, secs < 60 else { return nil }
            second = hour * 3600 + minute * 60 + secs
        }
        return CivilTime(year: year, month: month, day: day, secondOfDay: second).unixSeconds
    }
}
