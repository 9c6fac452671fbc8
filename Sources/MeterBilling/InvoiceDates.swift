public import MeterPlans

/// Dates as people read them on an invoice (HTML and text); JSON keeps exact ISO 8601 instants.
public enum InvoiceDates {
    /// `2026-03-01` at midnight UTC, else `2026-03-01 09:00 UTC` (with seconds when not whole
    /// minutes): an anchor's time of day is part of the date it names.
    public static func date(_ seconds: Int64) -> String {
        let time = CivilTime(unixSeconds: seconds)
        let iso = time.description  // 2026-03-01T09:00:00Z
        let day = String(iso.prefix(10))
        guard time.secondOfDay != 0 else { return day }
        let clock = iso.dropFirst(11).dropLast()  // 09:00:00
        return day + " " + (time.secondOfDay % 60 == 0 ? String(clock.prefix(5)) : String(clock)) + " UTC"
    }

    /// Always with the time of day, `2026-03-01 00:00 UTC`: for bucket ranges, whose ends are exclusive.
    public static func instant(_ seconds: Int64) -> String {
        let text = date(seconds)
        return text.hasSuffix("UTC") ? text : text + " 00:00 UTC"
    }

    /// A period `[start, end)`: `2026-03-01 – 2026-03-31` (last day included) when both ends are
    /// at midnight UTC, else the two instants, `2026-01-31 09:00 UTC – 2026-02-28 09:00 UTC`.
    public static func period(start: Int64, end: Int64) -> String {
        let midnights = start % 86_400 == 0 && end % 86_400 == 0 && end > start
        return date(start) + " – " + date(midnights ? end - 86_400 : end)
    }
}
