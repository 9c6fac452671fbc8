import MeterCore
import MeterIngest
import MeterQuota

/// A tenant's seeding as a usage query (docs/quotas.md "How usage stays exact"): every metric of
/// the tenant at hour grain from the start of its current window, flushed and in memory, with
/// the tap switch at each shard's snapshot turn.
enum QuotaSeeding {
    /// How far past `from` the query reaches: a window is at most 31 days, and future-dated
    /// events (within the protocol's clock-skew limit) land in the next one.
    static let reach: Int64 = 62 * 86_400

    static func seed(using queries: UsageQueries) -> QuotaService.Seed {
        { request, onShardTurn in
            let query = UsageRequest(tenant: request.tenant, grain: .hour, from: request.from, to: request.from + reach,
                                     onShardTurn: onShardTurn)
            let answer: UsageAnswer
            do {
                answer = try await queries.usage(query)
            } catch UsageQueryError.unknownTenant(_) {
                // Nothing flushed and nothing in memory, and the taps were switched at the
                // snapshot: the tenant starts from zero.
                return []
            }
            return rows(of: answer)
        }
    }

    static func rows(of answer: UsageAnswer) -> [QuotaTracker.SeedRow] {
        answer.series.flatMap { series -> [QuotaTracker.SeedRow] in
            guard series.id.type != .set else { return [] }
            return series.buckets.map { bucket in
                QuotaTracker.SeedRow(metric: series.id.metric, type: series.id.type, hourStart: bucket.start,
                                     sum: series.id.type == .counter ? bucket.value.sum : .zero,
                                     maximum: series.id.type == .gauge ? bucket.value.maximum?.units : nil,
                                     events: bucket.value.events)
            }
        }
    }
}
