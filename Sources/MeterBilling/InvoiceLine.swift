public import MeterCore
public import MeterPlans

/// One line of an invoice. Amounts are rounded to the currency's minor unit when the line is
/// made (docs/billing.md "Rounding"); credits are negative.
public struct InvoiceLine: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A plan's fee for a whole fee period.
        case subscription
        /// A fee for part of a fee period (a mid-period change, a trial ending, a cancellation),
        /// or its credit when time already charged is no longer used.
        case proration
        /// Usage beyond the included quantity of a metric.
        case overage
        /// A correction for a period already invoiced: late usage that arrived after it was finalized.
        case adjustment
        /// A coupon or percentage discount (negative).
        case discount
        /// Tax on the discounted subtotal.
        case tax
    }

    public var kind: Kind
    public var description: String
    /// Units billed (overage units, seats); nil for lines that are not counted.
    public var quantity: Quantity?
    /// The price the quantity was billed at, when one price applies.
    public var unitPrice: Money?
    public var amount: Money
    /// What the line covers: a fee's time span, or the usage window of overage.
    public var from: Int64?
    public var to: Int64?
    public var metric: String?
    /// The plan whose terms priced the line.
    public var planID: String?
    /// For fee lines: the subscription row the fee is for (`meterd.subscriptions.id`), so a later
    /// change can credit exactly the time charged.
    public var subscriptionID: Int64?
    /// The rollup rows the usage came from.
    public var sources: [UsageSource]
    /// For discount lines: the coupon.
    public var couponCode: String?

    public init(kind: Kind, description: String, quantity: Quantity? = nil, unitPrice: Money? = nil, amount: Money,
                from: Int64? = nil, to: Int64? = nil, metric: String? = nil, planID: String? = nil,
                subscriptionID: Int64? = nil, sources: [UsageSource] = [], couponCode: String? = nil) {
        self.kind = kind
        self.description = description
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.amount = amount
        self.from = from
        self.to = to
        self.metric = metric
        self.planID = planID
        self.subscriptionID = subscriptionID
        self.sources = sources
        self.couponCode = couponCode
    }
}

/// A range of rollup rows one usage figure was read from: re-running
/// `SELECT ... FROM meterd.usage_<grain> WHERE tenant = $tenant AND metric = $metric AND type = $type
///  AND bucket >= $fromBucket AND bucket < $toBucket` returns these rows.
public struct UsageSource: Sendable, Hashable {
    public var grain: Grain
    public var metric: String
    /// `c` or `g`.
    public var type: MetricType
    public var fromBucket: Int64
    public var toBucket: Int64
    public var rows: Int
    /// The rows' contribution: their sum (counter) or largest maximum (gauge).
    public var quantity: QuantitySum

    public init(grain: Grain, metric: String, type: MetricType, fromBucket: Int64, toBucket: Int64, rows: Int, quantity: QuantitySum) {
        self.grain = grain
        self.metric = metric
        self.type = type
        self.fromBucket = fromBucket
        self.toBucket = toBucket
        self.rows = rows
        self.quantity = quantity
    }
}
