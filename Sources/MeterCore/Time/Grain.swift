/// The rollup grains, all in UTC. Buckets are half-open: `[start, end)` in Unix seconds.
public enum Grain: UInt8, Sendable, Hashable, CaseIterable {
    case hour = 0
    case day = 1
    case month = 2

    /// All grains, finest first. A stored array: iterating it allocates nothing,
    /// whereas `allCases` builds a new array on each call.
    public static let finestFirst: [Grain] = [.hour, .day, .month]

    /// The name used in table names and query parameters.
    public var name: String {
        switch self {
        case .hour: "hour"
        case .day: "day"
        case .month: "month"
        }
    }

    /// The start of the bucket that contains `seconds`.
    @inlinable
    public func bucketStart(containing seconds: Int64) -> Int64 {
        switch self {
        case .hour:
            return floorDivide(seconds, 3_600) * 3_600
        case .day:
            return floorDivide(seconds, 86_400) * 86_400
        case .month:
            let days = floorDivide(seconds, 86_400)
            let date = CivilDate(daysSinceEpoch: days)
            return CivilDate(year: date.year, month: date.month, day: 1).daysSinceEpoch * 86_400
        }
    }

    /// The start of the bucket after the one starting at `start`.
    @inlinable
    public func bucketEnd(startingAt start: Int64) -> Int64 {
        switch self {
        case .hour:
            return start + 3_600
        case .day:
            return start + 86_400
        case .month:
            let date = CivilDate(daysSinceEpoch: floorDivide(start, 86_400))
            let next = date.month == 12
                ? CivilDate(year: date.year + 1, month: 1, day: 1)
                : CivilDate(year: date.year, month: date.month + 1, day: 1)
            return next.daysSinceEpoch * 86_400
        }
    }
}

@inlinable
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor < 0) ? quotient - 1 : quotient
}

/// A proleptic Gregorian date, converted with Howard Hinnant's days-from-civil algorithms.
public struct CivilDate: Sendable, Hashable {
    public var year: Int64
    public var month: Int64
    public var day: Int64

    @inlinable
    public init(year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    @inlinable
    public init(daysSinceEpoch: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    @inlinable
    public var daysSinceEpoch: Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
