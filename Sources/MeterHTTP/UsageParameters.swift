import MeterCore
import MeterIngest

/// The query parameters of `GET /v1/usage` (docs/http-api.md "Usage"):
/// `tenant` (required), `metric` (optional: every metric of the tenant), `grain`
/// (`hour`, `day` or `month`), `from` and `to` (RFC 3339 or Unix seconds, `from < to`), and
/// any number of `dim.<key>=<value>` (the series must carry every one).
enum UsageParameters {
    /// Why the parameters are refused: a 400 with a code per reason and a specific message.
    struct Problem: Error, Sendable, Hashable {
        var code: String
        var message: String
        /// The parameter at fault.
        var parameter: String
    }

    static let dimensionPrefix = "dim."
    static let known: Set<String> = ["tenant", "metric", "grain", "from", "to"]

    static func parse(_ query: [String: String], limits: UsageQueryLimits) -> Result<UsageRequest, Problem> {
        for name in query.keys.sorted() where !known.contains(name) && !name.hasPrefix(dimensionPrefix) {
            return .failure(Problem(code: "unknown_parameter", message: "unknown parameter '\(name)'; expected tenant, metric, grain, from, to and dim.<key>", parameter: name))
        }
        guard let tenant = query["tenant"], !tenant.isEmpty else {
            return .failure(Problem(code: "missing_parameter", message: "the tenant parameter is required", parameter: "tenant"))
        }
        var metric: String?
        if let text = query["metric"] {
            guard !text.isEmpty else {
                return .failure(Problem(code: "bad_metric", message: "metric is empty; leave it out to ask for every metric", parameter: "metric"))
            }
            metric = text
        }
        guard let grainText = query["grain"] else {
            return .failure(Problem(code: "missing_parameter", message: "the grain parameter is required: hour, day or month", parameter: "grain"))
        }
        guard let grain = Grain.finestFirst.first(where: { $0.name == grainText }) else {
            return .failure(Problem(code: "bad_grain", message: "grain must be hour, day or month, got '\(grainText)'", parameter: "grain"))
        }
        var bounds: [Int64] = []
        for (name, rounding) in [("from", UsageTime.Rounding.down), ("to", .up)] {
            guard let text = query[name] else {
                return .failure(Problem(code: "missing_parameter", message: "the \(name) parameter is required (RFC 3339 or Unix seconds)", parameter: name))
            }
            guard let seconds = UsageTime.parse(text, rounding: rounding),
                  seconds >= -62_135_596_800, seconds < 253_402_300_800 else {  // years 1 to 9999
                return .failure(Problem(code: "bad_time", message: "\(name) must be an RFC 3339 time (2026-12-01T00:00:00Z) or Unix seconds between years 1 and 9999, got '\(text)'", parameter: name))
            }
            bounds.append(seconds)
        }
        let (from, to) = (bounds[0], bounds[1])
        guard from < to else {
            return .failure(Problem(code: "empty_range", message: "from must be before to (from \(UsageTime.format(from)), to \(UsageTime.format(to)))", parameter: "from"))
        }
        var dimensions: [UsageDimension] = []
        for (name, value) in query where name.hasPrefix(dimensionPrefix) {
            let key = String(name.dropFirst(dimensionPrefix.count))
            guard !key.isEmpty else {
                return .failure(Problem(code: "bad_dimension", message: "a dimension parameter needs a key: dim.<key>=<value>", parameter: name))
            }
            dimensions.append(UsageDimension(key: key, value: value))
        }
        let request = UsageRequest(tenant: tenant, metric: metric, grain: grain, from: from, to: to, dimensions: dimensions)
        let buckets = request.bucketCount(upTo: limits.maxBuckets)
        guard buckets <= limits.maxBuckets else {
            return .failure(Problem(code: "range_too_large", message: "the range spans more than usage_query.max_buckets (\(limits.maxBuckets)) \(grain.name) buckets; ask for a coarser grain or a shorter range", parameter: "to"))
        }
        return .success(request)
    }
}
