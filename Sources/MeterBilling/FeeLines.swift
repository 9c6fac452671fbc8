import MeterCore
public import MeterPlans

/// A fee line of an earlier invoice (charge > 0, credit < 0) of a fee period this invoice also
/// touches: only annual fees have them, as a year spans twelve invoices.
public struct ChargedFee: Sendable, Hashable {
    public var subscriptionID: Int64
    public var from: Int64
    public var to: Int64
    public var amount: Money

    public init(subscriptionID: Int64, from: Int64, to: Int64, amount: Money) {
        self.subscriptionID = subscriptionID
        self.from = from
        self.to = to
        self.amount = amount
    }
}

/// The subscription fee lines of one invoice (docs/billing.md "Fees and proration").
///
/// For every row and every fee period touching the invoice's period, the time the row covers
/// in the fee period as known now (the open row up to the fee period's end, or its scheduled
/// end; minus the trial) is compared with the time earlier invoices charged: the difference is
/// charged, or credited when time already charged will not be used (an annual plan changed
/// mid-year). A whole fee period is a `subscription` line, any part of one a `proration` line.
public enum FeeLines {
    public static func lines(period: BillingPeriod, rows: [SubscriptionRow], catalog: PlanCatalog, charged: [ChargedFee],
                             decimals: Int) -> [InvoiceLine] {
        var lines: [InvoiceLine] = []
        for row in rows.sorted(by: SubscriptionRow.chronologically) {
            let subscription = row.subscription
            // A row starting after this period is the next invoice's. A row that ended before it
            // still matters when a fee period touching it was charged for more time (annual fees).
            guard subscription.startedAt < period.end, let plan = catalog[subscription.planID] else { continue }
            var feePeriod = FeeSchedule.feePeriod(containing: max(subscription.startedAt, period.start),
                                                  anchor: subscription.billingAnchor, cycle: subscription.cycle)
            while feePeriod.start < period.end {
                lines += feeLines(row: row, plan: plan, feePeriod: feePeriod, period: period, rows: rows, charged: charged, decimals: decimals)
                feePeriod = FeeSchedule.feePeriod(containing: feePeriod.end, anchor: subscription.billingAnchor, cycle: subscription.cycle)
            }
        }
        return lines
    }

    static func feeLines(row: SubscriptionRow, plan: Plan, feePeriod: BillingPeriod, period: BillingPeriod, rows: [SubscriptionRow],
                         charged: [ChargedFee], decimals: Int) -> [InvoiceLine] {
        let subscription = row.subscription
        let from = max(subscription.startedAt, feePeriod.start, subscription.trialEndsAt ?? .min)
        let to = min(endSeen(by: period, row: row, rows: rows) ?? feePeriod.end, feePeriod.end)
        guard let price = FeeSchedule.price(of: plan, cycle: subscription.cycle) else {
            // Contract pricing: the fee is the contract's; the line shows the plan in force.
            guard to > from else { return [] }
            return [line(row: row, plan: plan, kind: .subscription, from: from, to: to, amount: .zero, price: nil,
                         note: "contract pricing, fee per contract")]
        }
        let periodSeconds = feePeriod.end - feePeriod.start
        func amount(_ seconds: Int64) -> Money {
            FeeSchedule.prorated(price: price, seats: subscription.seats, seconds: seconds, periodSeconds: periodSeconds, decimals: decimals)
        }
        guard let chargedSpan = chargedSpan(of: row.id, in: feePeriod, charged: charged) else {
            // Time from a later period on (the end of a trial longer than a period) is that period's.
            guard to > from, from < period.end else { return [] }
            let whole = from == feePeriod.start && to == feePeriod.end
            return [line(row: row, plan: plan, kind: whole ? .subscription : .proration, from: from, to: to,
                         amount: amount(to - from), price: price,
                         note: whole ? nil : "prorated \(to - from) of \(periodSeconds) s")]
        }
        let end = max(to, from)
        if end < chargedSpan.to {
            let seconds = chargedSpan.to - end
            return [line(row: row, plan: plan, kind: .proration, from: end, to: chargedSpan.to,
                         amount: Money(micros: -amount(seconds).micros), price: price,
                         note: "credit for unused time, \(seconds) of \(periodSeconds) s")]
        }
        if end > chargedSpan.to {
            let seconds = end - chargedSpan.to
            return [line(row: row, plan: plan, kind: .proration, from: chargedSpan.to, to: end, amount: amount(seconds), price: price,
                         note: "prorated \(seconds) of \(periodSeconds) s")]
        }
        return []
    }

    /// The row's end as this invoice sees it: an end inside the period, or at its end when no row
    /// follows (a cancellation). A change at or after the period's end belongs to the invoice
    /// of the period the new row starts in, so the credit and the new charge land together.
    static func endSeen(by period: BillingPeriod, row: SubscriptionRow, rows: [SubscriptionRow]) -> Int64? {
        guard let end = row.subscription.endedAt else { return nil }
        if end < period.end { return end }
        let followed = rows.contains { $0.id != row.id && $0.subscription.startedAt == end }
        return end == period.end && !followed ? end : nil
    }

    /// The span of `feePeriod` earlier invoices charged for row `id`: charges extend it,
    /// credits cut its end back to where they start.
    static func chargedSpan(of id: Int64, in feePeriod: BillingPeriod, charged: [ChargedFee]) -> (from: Int64, to: Int64)? {
        var span: (from: Int64, to: Int64)?
        for fee in charged where fee.subscriptionID == id && fee.from >= feePeriod.start && fee.to <= feePeriod.end {
            if fee.amount.micros < 0 {
                if let current = span { span = (current.from, min(current.to, fee.from)) }
            } else if let current = span {
                span = (min(current.from, fee.from), max(current.to, fee.to))
            } else {
                span = (fee.from, fee.to)
            }
        }
        return span
    }

    static func line(row: SubscriptionRow, plan: Plan, kind: InvoiceLine.Kind, from: Int64, to: Int64, amount: Money,
                     price: Money?, note: String?) -> InvoiceLine {
        let subscription = row.subscription
        let seats = subscription.seats == 1 ? "1 seat" : "\(subscription.seats) seats"
        var text = "\(plan.name) (\(subscription.cycle.rawValue)), \(seats), \(CivilTime(unixSeconds: from)) to \(CivilTime(unixSeconds: to))"
        if let note { text += ", \(note)" }
        return InvoiceLine(kind: kind, description: text, quantity: Quantity(whole: Int64(subscription.seats)), unitPrice: price,
                           amount: amount, from: from, to: to, planID: plan.id, subscriptionID: row.id)
    }
}
