public import MeterPlans

/// One stored row of a tenant's subscription history with its id (`meterd.subscriptions.id`),
/// which invoice lines name.
public struct SubscriptionRow: Sendable, Hashable {
    public var id: Int64
    public var subscription: Subscription

    public init(id: Int64, subscription: Subscription) {
        self.id = id
        self.subscription = subscription
    }

    /// History order: by start, then by id (rows written later at the same instant come after).
    public static func chronologically(_ first: SubscriptionRow, _ second: SubscriptionRow) -> Bool {
        (first.subscription.startedAt, first.id) < (second.subscription.startedAt, second.id)
    }

    /// Whether the row is in force at some instant of `period`.
    public func overlaps(_ period: BillingPeriod) -> Bool {
        subscription.startedAt < period.end && (subscription.endedAt ?? .max) > period.start
    }
}
