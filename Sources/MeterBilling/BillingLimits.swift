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
    /// The last days of an invoiced usage window read again, at the next period's run, for late
    /// usage: an event is accepted at most protocol.max_lateness_seconds (3 days by default)
    /// after its time, so 7 days leave 4 for a PostgreSQL outage delaying its flush. The rest
    /// of the window is settled at invoicing. 0: late usage is not looked for.
    public static let defaultLateUsageDays = 7
    public static let maxLateUsageDays = 31
    /// Billing periods one run invoices per tenant at most (a catch-up after a long pause).
    public static let maxPeriodsPerRun = 120
}
