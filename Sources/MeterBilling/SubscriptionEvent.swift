public import MeterPlans

/// One row of `meterd.subscription_events`: a status transition or a plan, seat or cycle
/// change, in the order `SubscriptionStore.events` returns them (by `occurredAt`, then `id`).
public struct SubscriptionEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A new subscription: none or canceled -> trialing or active.
        case created
        /// A change whose yearly fee (price for the cycle x seats; contract plans highest) rises.
        case upgraded
        /// A change whose yearly fee falls.
        case downgraded
        /// A change with the same yearly fee (e.g. between contract plans).
        case changed
        /// -> active: a trial ended, or a past-due account paid.
        case activated
        /// active -> past_due.
        case pastDue = "past_due"
        /// -> canceled.
        case canceled
        /// A cancel at a future instant (`occurredAt`); `canceled` follows once it is applied.
        case cancelScheduled = "cancel_scheduled"
        /// Scheduled changes or a scheduled cancel dropped; `detail` names them.
        case unscheduled
    }

    public var id: Int64
    public var tenant: String
    public var kind: Kind
    /// When it takes effect (Unix seconds, UTC): in the future for a scheduled change.
    public var occurredAt: Int64
    /// When it was written.
    public var recordedAt: Int64
    /// Set for status transitions only.
    public var fromStatus: SubscriptionStatus?
    public var toStatus: SubscriptionStatus?
    /// The subscription's terms after the event.
    public var planID: String?
    public var seats: Int?
    public var cycle: BillingCycle?
    public var detail: String?

    public init(id: Int64, tenant: String, kind: Kind, occurredAt: Int64, recordedAt: Int64, fromStatus: SubscriptionStatus?,
                toStatus: SubscriptionStatus?, planID: String?, seats: Int?, cycle: BillingCycle?, detail: String?) {
        self.id = id
        self.tenant = tenant
        self.kind = kind
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.planID = planID
        self.seats = seats
        self.cycle = cycle
        self.detail = detail
    }
}
