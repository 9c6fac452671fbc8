/// A tenant's billing account (`meterd.billing_accounts`): its status and what invoices need.
public struct BillingAccount: Sendable, Hashable {
    public var tenant: String
    public var status: SubscriptionStatus
    /// Tax region: ISO 3166-1 country, optionally with a subdivision (`DE`, `US-CA`); nil: none set.
    public var region: String?
    /// Prefix of the tenant's invoice numbers: 2-12 of `A-Z0-9`, unique, fixed once set.
    public var invoicePrefix: String
    public var name: String?
    public var email: String?
    /// Unix seconds (UTC).
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(tenant: String, status: SubscriptionStatus, region: String?, invoicePrefix: String, name: String?,
                email: String?, createdAt: Int64, updatedAt: Int64) {
        self.tenant = tenant
        self.status = status
        self.region = region
        self.invoicePrefix = invoicePrefix
        self.name = name
        self.email = email
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
