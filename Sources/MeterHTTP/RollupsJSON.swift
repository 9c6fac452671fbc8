import MeterCore

/// Renders one tenant's rollup rows as JSON for `GET /debug/rollups`, sorted by metric,
/// dimensions, grain and bucket. Quantities are decimal strings, exact to the unit.
public enum RollupsJSON {
    public static func render(tenant: String, rows: [RollupKey: RollupValue]) -> String {
        var entries: [(sortKey: String, json: String)] = []
        for (key, value) in rows {
            guard let series = key.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }), series.tenant == tenant else { continue }
            let dimensions = series.dimensions.map { "\(quote($0.key)):\(quote($0.value))" }.joined(separator: ",")
            var fields = [
                "\"metric\":\(quote(series.metric))",
                "\"type\":\(quote(typeName(value.type)))",
                "\"dimensions\":{\(dimensions)}",
                "\"grain\":\(quote(key.grain.name))",
                "\"bucket_start\":\(key.bucketStart)",
                "\"events\":\(value.events)",
            ]
            switch value.type {
            case .counter:
                fields.append("\"sum\":\(quote(value.sum.description))")
            case .gauge:
                fields.append("\"integral\":\(quote(value.integral.description))")
                fields.append("\"min\":\(value.minimum.map { quote($0.description) } ?? "null")")
                fields.append("\"max\":\(value.maximum.map { quote($0.description) } ?? "null")")
                fields.append("\"latest\":\(value.latest.map { quote($0.description) } ?? "null")")
            case .set:
                fields.append("\"unique\":\(value.unique)")
            }
            let sortKey = "\(series.metric)\u{0}\(dimensions)\u{0}\(key.grain.rawValue)\u{0}\(key.bucketStart)"
            entries.append((sortKey, "{" + fields.joined(separator: ",") + "}"))
        }
        entries.sort { $0.sortKey < $1.sortKey }
        return "{\"tenant\":\(quote(tenant)),\"rows\":[" + entries.map(\.json).joined(separator: ",") + "]}\n"
    }

    static func typeName(_ type: MetricType) -> String {
        switch type {
        case .counter: "counter"
        case .gauge: "gauge"
        case .set: "set"
        }
    }

    static func quote(_ text: String) -> String { JSONString.quoted(text) }
}

extension RollupsJSON {
    /// The tenants that have rows, sorted.
    public static func tenants(in rows: [RollupKey: RollupValue]) -> [String] {
        Set(rows.keys.compactMap { $0.seriesKey.withUnsafeBytes { SeriesKey.decode($0)?.tenant } }).sorted()
    }
}
