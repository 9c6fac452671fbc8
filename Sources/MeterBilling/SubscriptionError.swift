public import MeterPlans

/// Input `SubscriptionStore` refuses before asking PostgreSQL. What the database refuses
/// (a transition the state machine forbids, an unknown plan, a taken prefix) arrives as a
/// `PostgresError` whose `message` is one clear line.
public enum SubscriptionError: Error, Sendable, Hashable, CustomStringConvertible {
    case trialDaysOutOfRange(Int)
    case seatsOutOfRange(Int)
    /// A change that names nothing to change.
    case nothingToChange
    /// "At period end" for a tenant with no subscription row in force at `at`.
    case noSubscription(tenant: String, at: Int64)
    /// "At period end" before the subscription's first billing period starts.
    case beforeAnchor(tenant: String, anchor: Int64)

    public var description: String {
        switch self {
        case .trialDaysOutOfRange(let days):
            "trial days must be between \(SubscriptionLimits.trialDays.lowerBound) and \(SubscriptionLimits.trialDays.upperBound) "
                + "(standard trials: \(SubscriptionLimits.standardTrialDays.map(String.init).joined(separator: ", "))), got \(days)"
        case .seatsOutOfRange(let seats):
            "seats must be between \(SubscriptionLimits.seats.lowerBound) and \(SubscriptionLimits.seats.upperBound), got \(seats)"
        case .nothingToChange:
            "nothing to change: give a plan, seats or a cycle"
        case .noSubscription(let tenant, let at):
            "tenant \(tenant) has no subscription in force at \(CivilTime(unixSeconds: at))"
        case .beforeAnchor(let tenant, let anchor):
            "tenant \(tenant)'s first billing period starts at \(CivilTime(unixSeconds: anchor)): no period end before it"
        }
    }
}
