/// The limits of usage queries (config keys `usage_query.*`, config/limits.md).
public struct UsageQueryLimits: Sendable, Hashable {
    /// `usage_query.max_buckets`: a request whose range spans more buckets of its grain is
    /// answered 400 (366 days of hours fit).
    public var maxBuckets = 8_784
    /// `usage_query.max_in_flight`: queries running at once (HTTP and in-process); more are
    /// answered 503 with Retry-After.
    public var maxInFlight = 64

    public init() {}

    /// What is wrong with these values, if anything.
    public var problem: String? {
        if maxBuckets < 1 || maxBuckets > 1_000_000 { return "usage_query.max_buckets must be between 1 and 1000000" }
        if maxInFlight < 1 || maxInFlight > 10_000 { return "usage_query.max_in_flight must be between 1 and 10000" }
        return nil
    }
}
