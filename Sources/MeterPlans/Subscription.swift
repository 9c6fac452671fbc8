/// One row of a tenant's subscription history: which plan applied from `startedAt` until
/// `endedAt` (exclusive; nil while it lasts). A plan change ends the current row and starts a
/// new one at the same instant, so billing can prorate and alerts can re-arm.
public struct Subscription: Sendable, Hashable {
    public var tenant: String
    public var planID: String
    /// Start of billing period 0 (UTC, Unix seconds): periods are monthly from here.
    public var billingAnchor: Int64
    /// Licensed seats (billing multiplies per-seat prices; quotas are per tenant).
    public var seats: Int
    public var startedAt: Int64
    public var endedAt: Int64?
    /// How often the plan's fee is charged (usage is always billed per monthly period).
    public var cycle: BillingCycle
    /// End of the free trial (exclusive); nil without one. No fee accrues and no usage is
    /// billed before it.
    public var trialEndsAt: Int64?

    public init(tenant: String, planID: String, billingAnchor: Int64, seats: Int, startedAt: Int64, endedAt: Int64? = nil,
                cycle: BillingCycle = .monthly, trialEndsAt: Int64? = nil) {
        self.tenant = tenant
        self.planID = planID
        self.billingAnchor = billingAnchor
        self.seats = seats
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.cycle = cycle
        self.trialEndsAt = trialEndsAt
    }

    /// Whether this row applies at `instant`.
    public func isActive(at instant: Int64) -> Bool {
        startedAt <= instant && endedAt.map { instant < $0 } ?? true
    }

    /// The billing period containing `instant` (nil before the anchor).
    public func period(at instant: Int64) -> BillingPeriod? {
        BillingPeriod.containing(instant, anchor: billingAnchor)
    }
}

/// How often a subscription's fee is charged (docs/billing.md "Cycles").
public enum BillingCycle: String, Sendable, Hashable, CaseIterable {
    /// The plan's `monthly_price` per monthly billing period.
    case monthly
    /// The plan's `annual_price` per subscription year (12 periods from the anchor), charged on
    /// the invoice of the year's first period.
    case annual

    /// Monthly billing periods per fee period.
    public var periodsPerFee: Int { self == .monthly ? 1 : 12 }
}
