/// A UTC calendar date-time at whole-second precision, converted to and from Unix seconds
/// without Foundation (proleptic Gregorian calendar; H. Hinnant's days-from-civil algorithm).
public struct CivilTime: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int  // 1...12
    public var day: Int  // 1...31
    public var secondOfDay: Int  // 0..<86400

    public init(year: Int, month: Int, day: Int, secondOfDay: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.secondOfDay = secondOfDay
    }

    public init(unixSeconds: Int64) {
        let days = Int(unixSeconds.floorDivided(by: 86_400))
        secondOfDay = Int(unixSeconds - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    public var unixSeconds: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days) * 86_400 + Int64(secondOfDay)
    }

    public static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// ISO 8601 in UTC: `2026-01-31T00:00:00Z`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}

extension CivilTime {
    /// Parses an ISO 8601 instant in UTC at whole seconds, as `description` prints it
    /// (`2026-03-10T00:00:00Z`), or a bare date (`2026-03-10`, midnight UTC). Nil for anything
    /// else: other offsets, fractions, out-of-range fields (month 13, Feb 30, 24:00:00).
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 || (bytes.count == 20 && bytes[10] == UInt8(ascii: "T") && bytes[19] == UInt8(ascii: "Z")
                                    && bytes[13] == UInt8(ascii: ":") && bytes[16] == UInt8(ascii: ":")),
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for byte in bytes[from ..< from + count] {
                guard (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), (1 ... 12).contains(month),
              (1 ... CivilTime.daysIn(year: year, month: month)).contains(day) else { return nil }
        var secondOfDay = 0
        if bytes.count == 20 {
            guard let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  hour < 24, minute < 60, second < 60 else { return nil }
            secondOfDay = hour * 3600 + minute * 60 + second
        }
        self.init(year: year, month: month, day: day, secondOfDay: secondOfDay)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
