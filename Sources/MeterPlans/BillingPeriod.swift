/// One billing period: `[start, end)` in Unix seconds (UTC).
///
/// Periods are monthly from the subscription's billing anchor (an instant, UTC). Period `n`
/// (n = 0, 1, ...) starts `n` calendar months after the anchor, on the anchor's day of month at
/// the anchor's time of day; when that month is shorter, on its last day (anchor Jan 31:
/// Feb 28 or 29, then Mar 31 - the day is clamped per month, never carried over). Each period
/// ends where the next begins, so periods tile time without gaps or overlaps.
public struct BillingPeriod: Sendable, Hashable, CustomStringConvertible {
    /// 0 for the period starting at the anchor.
    public var index: Int
    public var start: Int64
    public var end: Int64

    public init(index: Int, start: Int64, end: Int64) {
        self.index = index
        self.start = start
        self.end = end
    }

    public func contains(_ instant: Int64) -> Bool { start <= instant && instant < end }

    public var description: String {
        "#\(index) [\(CivilTime(unixSeconds: start)), \(CivilTime(unixSeconds: end)))"
    }

    /// The start of period `index` for `anchor`.
    public static func start(index: Int, anchor: Int64) -> Int64 {
        let origin = CivilTime(unixSeconds: anchor)
        let months = origin.year * 12 + (origin.month - 1) + index
        let year = months.floorDivided(by: 12)
        let month = months - year * 12 + 1
        let day = min(origin.day, CivilTime.daysIn(year: year, month: month))
        return CivilTime(year: year, month: month, day: day, secondOfDay: origin.secondOfDay).unixSeconds
    }

    /// Period `index` for `anchor`.
    public static func period(index: Int, anchor: Int64) -> BillingPeriod {
        BillingPeriod(index: index, start: start(index: index, anchor: anchor), end: start(index: index + 1, anchor: anchor))
    }

    /// The period containing `instant`; nil before the anchor.
    public static func containing(_ instant: Int64, anchor: Int64) -> BillingPeriod? {
        guard instant >= anchor else { return nil }
        let from = CivilTime(unixSeconds: anchor)
        let to = CivilTime(unixSeconds: instant)
        // The month difference is the index, or one more than it when the instant falls
        // before that month's (clamped) anchor day and time.
        var index = (to.year - from.year) * 12 + (to.month - from.month)
        if start(index: index, anchor: anchor) > instant { index -= 1 }
        return period(index: index, anchor: anchor)
    }
}

extension Int {
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
