/// Limits of the subscription operations (config/limits.md "Billing"). Migration 9's SQL
/// functions check the same bounds for SQL callers (`SubscriptionLifecycleSQL`).
public enum SubscriptionLimits {
    /// Trial lengths `SubscriptionStore.create` accepts, in days.
    public static let trialDays: ClosedRange<Int> = 1 ... 365
    /// The trials the product offers (docs/billing.md "Subscriptions"); any length in
    /// `trialDays` works.
    public static let standardTrialDays: [Int] = [14, 30]
    /// Licensed seats of one subscription.
    public static let seats: ClosedRange<Int> = 1 ... 1_000_000
}
