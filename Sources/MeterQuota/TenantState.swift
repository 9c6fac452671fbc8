import MeterAlerts
import MeterCore
import MeterPlans

extension QuotaTracker {
    /// One tracked tenant: its epoch, terms, usage per window and metric, and the levels this
    /// process already handed to the alert record.
    struct TenantState {
        let name: String
        var epoch: UInt64
        var terms: TenantTerms
        /// Hours before this are not tracked (the current window's start at the seeding).
        var from: Int64
        var seeded = false
        /// By usage-window start, then metric.
        var usage: [Int64: [String: PeriodUsage]] = [:]
        /// Levels handed on, by metric: for `firedWindow` and the quota in `firedQuota`. The
        /// record in PostgreSQL keeps them exactly once across restarts and instances; this
        /// only avoids handing the same level on at every later event.
        var fired: [String: (quota: Quantity, levels: Set<AlertLevel>)] = [:]
        var firedWindow: Int64 = .min

        init(name: String, epoch: UInt64, terms: TenantTerms) {
            self.name = name
            self.epoch = epoch
            self.terms = terms
            from = terms.window.start
        }

        /// New terms from the plan book (same anchor): drops windows that ended.
        mutating func take(_ newTerms: TenantTerms) {
            terms = newTerms
            usage = usage.filter { $0.key >= newTerms.window.start }
            from = max(from, newTerms.window.start)
        }

        /// A shard's counts: added when of this tenant's epoch and window, then evaluated.
        mutating func record(_ delta: ShardUsageTap.Delta, nowMilliseconds: Int64, into alerts: inout [ThresholdAlert]) {
            guard delta.epoch == epoch, let window = windowStart(ofHour: delta.hourStart) else { return }
            switch delta.type {
            case .counter: usage[window, default: [:]][delta.metric, default: PeriodUsage()].addCounter(delta.sum, events: delta.events)
            case .gauge: usage[window, default: [:]][delta.metric, default: PeriodUsage()].addGauge(maximum: delta.maximum, events: delta.events)
            case .set: return
            }
            if seeded && window == terms.window.start {
                evaluate(metric: delta.metric, nowMilliseconds: nowMilliseconds, into: &alerts)
            }
        }

        /// The seeding query's rows; from here on the levels are evaluated.
        mutating func seed(_ rows: [SeedRow], nowMilliseconds: Int64, into alerts: inout [ThresholdAlert]) {
            for row in rows {
                guard let window = windowStart(ofHour: row.hourStart) else { continue }
                if let maximum = row.maximum {
                    usage[window, default: [:]][row.metric, default: PeriodUsage()].addGauge(maximum: maximum, events: row.events)
                } else {
                    usage[window, default: [:]][row.metric, default: PeriodUsage()].addCounter(row.sum, events: row.events)
                }
            }
            seeded = true
            evaluateAll(nowMilliseconds: nowMilliseconds, into: &alerts)
        }

        mutating func evaluateAll(nowMilliseconds: Int64, into alerts: inout [ThresholdAlert]) {
            guard seeded else { return }
            for metric in terms.quotas.keys {
                evaluate(metric: metric, nowMilliseconds: nowMilliseconds, into: &alerts)
            }
        }

        /// The levels of `metric` reached in the current window and not handed on yet.
        private mutating func evaluate(metric: String, nowMilliseconds: Int64, into alerts: inout [ThresholdAlert]) {
            guard let quota = terms.quotas[metric], let used = usage[terms.window.start]?[metric]?.used else { return }
            let reached = ThresholdLevels.reached(used: used, quota: quota)
            guard !reached.isEmpty else { return }
            if firedWindow != terms.window.start {
                firedWindow = terms.window.start
                fired = [:]
            }
            if fired[metric]?.quota != quota { fired[metric] = (quota, []) }
            let period = terms.window.period
            for level in reached where fired[metric]!.levels.insert(level).inserted {
                alerts.append(ThresholdAlert(tenant: name, metric: metric, level: level, periodStart: period.start,
                                             periodEnd: period.end, used: used.clampedQuantity, quota: quota,
                                             crossedAtMilliseconds: nowMilliseconds))
            }
        }

        /// The start of the window `hourStart` counts toward; nil before `from`.
        private func windowStart(ofHour hourStart: Int64) -> Int64? {
            guard hourStart >= from else { return nil }
            if terms.window.contains(hour: hourStart) { return terms.window.start }  // the usual case: no calendar work
            return UsageWindow.containing(hour: hourStart, anchor: terms.anchor)?.start
        }
    }
}
