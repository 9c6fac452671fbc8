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
}
