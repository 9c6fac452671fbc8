/// A billing account's status (docs/billing.md "Subscriptions"):
///
///     trialing -> active | canceled
///     active   -> past_due | canceled
///     past_due -> active | canceled
///     canceled -> trialing | active only by creating a new subscription
///
/// `meterd.subscription_transition_allowed` is the same table in SQL; the database refuses
/// anything else.
public enum SubscriptionStatus: String, Sendable, Hashable, CaseIterable {
    case trialing
    case active
    case pastDue = "past_due"
    case canceled

    /// Whether `transition(tenant:to:...)` may move an account from `self` to `next`.
    public func canTransition(to next: SubscriptionStatus) -> Bool {
        switch (self, next) {
        case (.trialing, .active), (.trialing, .canceled), (.active, .pastDue), (.active, .canceled),
             (.pastDue, .active), (.pastDue, .canceled): true
        default: false
        }
    }
}
