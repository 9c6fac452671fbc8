import Foundation
import MeterCore
import MeterPlans
import MeterPostgres

/// A line's sources as stored in `meterd.invoice_lines.sources` (jsonb): every value a string,
/// so quantities and instants read back exactly:
/// `[{"grain":"day","type":"c","from":"2026-03-02T00:00:00Z","to":"2026-04-01T00:00:00Z","rows":"30","quantity":"1250"}]`.
/// The metric is the line's.
enum UsageSourceJSON {
    static func encode(_ sources: [UsageSource]) -> String {
        "[" + sources.map { source in
            "{\"grain\":\"\(source.grain.name)\",\"type\":\"\(source.type.wireLetter)\",\"from\":\"\(CivilTime(unixSeconds: source.fromBucket))\","
                + "\"to\":\"\(CivilTime(unixSeconds: source.toBucket))\",\"rows\":\"\(source.rows)\",\"quantity\":\"\(source.quantity)\"}"
        }.joined(separator: ",") + "]"
    }

    /// The sources in `text` for a line of `metric`; entries that do not read back are skipped.
    static func decode(_ text: String, metric: String) -> [UsageSource] {
        guard let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: String]] else { return [] }
        return list.compactMap { entry in
            guard let grain = Grain.finestFirst.first(where: { $0.name == entry["grain"] }),
                  let type = MetricType.allCases.first(where: { String($0.wireLetter) == entry["type"] }),
                  let from = entry["from"].flatMap(CivilTime.init(iso8601:)), let to = entry["to"].flatMap(CivilTime.init(iso8601:)),
                  let rows = entry["rows"].flatMap({ Int($0) }), let quantity = entry["quantity"].flatMap(QuantitySum.init(decimal:)) else { return nil }
            return UsageSource(grain: grain, metric: metric, type: type, fromBucket: from.unixSeconds, toBucket: to.unixSeconds,
                               rows: rows, quantity: quantity)
        }
    }
}
