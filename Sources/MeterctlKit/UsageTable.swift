import Foundation

/// `meterctl usage`: the JSON answer of `GET /v1/usage` (docs/http-api.md "Usage") as a table
/// for people, one line per series and bucket, then the series' totals.
public enum UsageTable {
    struct Document: Decodable {
        var tenant: String
        var grain: String
        var from: String
        var to: String
        var series: [Series]
    }

    struct Series: Decodable {
        var metric: String
        var type: String
        var dimensions: [String: String]
        var buckets: [Bucket]
        var totals: Bucket
    }

    struct Bucket: Decodable {
        var start: String?
        var events: Int64
        var sum: String?
        var integral: String?
        var min: String?
        var max: String?
        var latest: String?
        var uniques: Int64?
    }

    /// The table, or nil when `json` is not a usage answer.
    public static func render(_ json: [UInt8]) -> String? {
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(json)) else { return nil }
        var rows: [[String]] = [["METRIC", "TYPE", "DIMENSIONS", "BUCKET", "EVENTS", "VALUE"]]
        for series in document.series {
            let dimensions = series.dimensions.keys.sorted().map { "\($0)=\(series.dimensions[$0]!)" }.joined(separator: ",")
            for bucket in series.buckets {
                rows.append([series.metric, series.type, dimensions.isEmpty ? "-" : dimensions, bucket.start ?? "",
                             String(bucket.events), value(series.type, bucket)])
            }
            rows.append([series.metric, series.type, dimensions.isEmpty ? "-" : dimensions, "total",
                         String(series.totals.events), value(series.type, series.totals)])
        }
        var out = "tenant \(document.tenant), \(document.grain) buckets from \(document.from) to \(document.to)\n"
        if document.series.isEmpty { return out + "no usage in this range\n" }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            out += zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .replacing(#/\s+$/#, with: "") + "\n"
        }
        return out
    }

    /// The billed column of a type: counter sum, gauge integral (value x seconds) with its
    /// extremes, set uniques.
    static func value(_ type: String, _ bucket: Bucket) -> String {
        switch type {
        case "counter": return "sum \(bucket.sum ?? "-")"
        case "gauge": return "integral \(bucket.integral ?? "-") min \(bucket.min ?? "-") max \(bucket.max ?? "-")"
        default: return bucket.uniques.map { "uniques \($0)" } ?? "-"
        }
    }
}
