import MeterCore
import MeterIngest

/// The JSON body of `GET /v1/usage` (docs/http-api.md "Usage"). Quantities are exact decimal
/// strings, never JSON numbers; counts (`events`, `uniques`) are integers.
enum UsageJSON {
    static func render(_ answer: UsageAnswer, request: UsageRequest) -> String {
        var out = "{\"tenant\":\(quote(answer.tenant)),\"metric\":\(request.metric.map(quote) ?? "null"),"
        out += "\"grain\":\(quote(request.grain.name)),\"from\":\(quote(UsageTime.format(request.from))),"
        out += "\"to\":\(quote(UsageTime.format(request.to))),\"series\":["
        for (index, series) in answer.series.enumerated() {
            if index > 0 { out += "," }
            out += "{\"metric\":\(quote(series.id.metric)),\"type\":\(quote(RollupsJSON.typeName(series.id.type))),"
            out += "\"dimensions\":{" + series.id.dimensions.map { "\(quote($0.key)):\(quote($0.value))" }.joined(separator: ",") + "},"
            out += "\"buckets\":[" + series.buckets.map { bucket(series.id.type, $0) }.joined(separator: ",") + "],"
            out += "\"totals\":" + totals(series) + "}"
        }
        return out + "]}\n"
    }

    static func bucket(_ type: MetricType, _ bucket: UsageBucket) -> String {
        let value = bucket.value
        var fields = ["\"start\":\(quote(UsageTime.format(bucket.start)))", "\"events\":\(value.events)"]
        switch type {
        case .counter:
            fields.append("\"sum\":\(quote(value.sum.description))")
        case .gauge:
            fields.append("\"integral\":\(quote(value.integral.description))")
            fields.append("\"min\":\(decimal(value.minimum))")
            fields.append("\"max\":\(decimal(value.maximum))")
            fields.append("\"latest\":\(decimal(value.latest))")
            fields.append("\"latest_time\":\(value.latest == nil ? "null" : quote(UsageTime.format(value.latestTime)))")
        case .set:
            fields.append("\"uniques\":\(value.unique)")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Over the series' buckets: events, and the counter's sum or the gauge's integral and
    /// extremes (set uniques do not add across buckets: none).
    static func totals(_ series: UsageSeries) -> String {
        var total = RollupValue(type: series.id.type)
        for bucket in series.buckets {
            total.events += bucket.value.events
            total.sum.add(bucket.value.sum)
            total.integral.add(bucket.value.integral)
            if let value = bucket.value.minimum { total.minimum = min(total.minimum ?? value, value) }
            if let value = bucket.value.maximum { total.maximum = max(total.maximum ?? value, value) }
        }
        var fields = ["\"events\":\(total.events)"]
        switch series.id.type {
        case .counter:
            fields.append("\"sum\":\(quote(total.sum.description))")
        case .gauge:
            fields.append("\"integral\":\(quote(total.integral.description))")
            fields.append("\"min\":\(decimal(total.minimum))")
            fields.append("\"max\":\(decimal(total.maximum))")
        case .set:
            break
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func decimal(_ value: Quantity?) -> String { value.map { quote($0.description) } ?? "null" }
    static func quote(_ text: String) -> String { JSONString.quoted(text) }
}
