import MeterCore

/// The time formats of `GET /v1/usage`: RFC 3339 (`2026-12-01T00:00:00Z`,
/// `2026-12-01T01:00:00.5+01:00`) or Unix seconds (`1764547200`).
enum UsageTime {
    enum Rounding { case down, up }

    /// Unix seconds; a fraction of a second rounds `down` (range start) or `up` (exclusive
    /// end), so the range never loses the bucket it touches. nil if malformed.
    static func parse(_ text: String, rounding: Rounding) -> Int64? {
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: "-") }),
           bytes.dropFirst().allSatisfy(isDigit) {
            guard bytes.count <= 16 else { return nil }  // ~3e8 years: beyond any calendar use
            return Int64(text)
        }
        return rfc3339(bytes, rounding: rounding)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t` and `z` and a space for `T` accepted.
    private static func rfc3339(_ b: [UInt8], rounding: Rounding) -> Int64? {
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var value: Int64 = 0
            for byte in b[start ..< start + count] {
                guard isDigit(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2),
              b[7] == UInt8(ascii: "-"), let day = number(8, 2),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
              let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2),
              b[16] == UInt8(ascii: ":"), let second = number(17, 2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        var index = 19
        var fractional = false
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count, isDigit(b[index]) {
                if b[index] != UInt8(ascii: "0") { fractional = true }
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offset: Int64 = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == b.count, let hours = number(index + 1, 2), b[index + 3] == UInt8(ascii: ":"),
                  let minutes = number(index + 4, 2), hours <= 23, minutes <= 59 else { return nil }
            offset = (hours * 3_600 + minutes * 60) * (b[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + min(second, 59) - offset
        return fractional && rounding == .up ? seconds + 1 : seconds
    }

    /// RFC 3339 in UTC, whole seconds: `2026-12-01T00:00:00Z`.
    static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        let date = CivilDate(daysSinceEpoch: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = date.year >= 0 && date.year < 10_000 ? String(repeating: "0", count: 4 - "\(date.year)".count) + "\(date.year)" : "\(date.year)"
        return "\(year)-\(two(date.month))-\(two(date.day))T\(two(rest / 3_600)):\(two(rest % 3_600 / 60)):\(two(rest % 60))Z"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
