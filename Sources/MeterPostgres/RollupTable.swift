public import MeterCore

/// Where each grain's rollups live, and the SQL names shared by migrations and the writer.
public enum RollupTable {
    public static let schema = "meterd"

    /// The qualified table of `grain`: `meterd.usage_hourly`, `meterd.usage_daily`, `meterd.usage_monthly`.
    public static func name(_ grain: Grain) -> String {
        switch grain {
        case .hour: "\(schema).usage_hourly"
        case .day: "\(schema).usage_daily"
        case .month: "\(schema).usage_monthly"
        }
    }

    /// The `type` column's value for a metric type: the wire letter (`c`, `g`, `s`).
    public static func typeCode(_ type: MetricType) -> String { String(type.wireLetter) }
}
