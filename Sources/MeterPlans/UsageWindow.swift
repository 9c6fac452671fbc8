/// Which usage counts toward a billing period: the events of the UTC hours that start in
/// `[start, end)` once both ends are moved down to their hour (docs/quotas.md "Usage window").
///
/// Rollups, the live counters and invoices all count by the hour, and a billing anchor may
/// fall within an hour (09:30): the hour is then attributed whole to the period its start
/// falls in after the shift, the same for alerts, entitlement checks and billing, so the
/// periods' windows still tile time.
public struct UsageWindow: Sendable, Hashable {
    public let period: BillingPeriod
    /// `period.start` moved down to its hour.
    public let start: Int64
    /// `period.end` moved down to its hour.
    public let end: Int64

    public init(period: BillingPeriod) {
        self.period = period
        start = Self.hourFloor(period.start)
        end = Self.hourFloor(period.end)
    }

    /// The window of the period whose hours include `hourStart`; nil before the anchor's window.
    public static func containing(hour hourStart: Int64, anchor: Int64) -> UsageWindow? {
        // Every period of an anchor starts at the anchor's second of the hour, so the hour
        // `h` belongs to the period containing `h + offset`.
        let offset = anchor - hourFloor(anchor)
        return BillingPeriod.containing(hourStart + offset, anchor: anchor).map(UsageWindow.init)
    }

    public func contains(hour hourStart: Int64) -> Bool { start <= hourStart && hourStart < end }

    public static func hourFloor(_ seconds: Int64) -> Int64 {
        let remainder = seconds % 3600
        return remainder >= 0 ? seconds - remainder : seconds - remainder - 3600
    }
}
