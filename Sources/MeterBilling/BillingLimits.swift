/// Billing's limits and defaults, each a flag of `meterctl billing run` (config/limits.md).
public enum BillingLimits {
    /// A period is invoiced once its end is this far in the past, so the flushes of its last
    /// events have landed (later ones become adjustments): 1 hour.
    public static let defaultGraceSeconds: Int64 = 3600
    /// Days from finalization to the payment due date.
    public static let defaultPaymentTermsDays = 30
    /// Tenants whose invoices are computed and written in one transaction.
    public static let defaultBatchTenants = 200
    public static let maxBatchTenants = 10_000
    /// How many earlier periods are read again for late usage: covers the ingest's lateness
    /// bound (protocol.max_lateness_seconds, 3 days by default) with room to spare.
    public static let defaultLateUsagePeriods = 2
    public static let maxLateUsagePeriods = 24
    /// Billing periods one run invoices per tenant at most (a catch-up after a long pause).
    public static let maxPeriodsPerRun = 120
}
