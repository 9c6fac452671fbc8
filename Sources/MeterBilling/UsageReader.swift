import MeterCore
import MeterPlans
public import MeterPostgres

/// Reads the usage of many billing windows in two statements (docs/billing.md "Reading usage").
///
/// A window is split into whole UTC days, read from the daily rollups, and the hours at its
/// edges, read from the hourly ones: about 30 daily and at most 46 hourly rows per series
/// instead of 720 hourly ones. Every event is in both grains, so the sum is the same.
public struct UsageReader {
    public struct Window: Sendable, Hashable {
        public var tenant: String
        public var from: Int64
        public var to: Int64

        public init(tenant: String, from: Int64, to: Int64) {
            self.tenant = tenant
            self.from = from
            self.to = to
        }
    }

    public let connection: PostgresConnection
    /// Reads the hourly edges while `connection` reads the daily middles; nil: both on `connection`.
    public let edgeConnection: PostgresConnection?

    public init(connection: PostgresConnection, edgeConnection: PostgresConnection? = nil) {
        self.connection = connection
        self.edgeConnection = edgeConnection
    }

    struct Segment: Sendable {
        var window: Int
        var grain: Grain
        var from: Int64
        var to: Int64
    }

    static func segments(of windows: [Window]) -> [Segment] {
        var segments: [Segment] = []
        for (index, window) in windows.enumerated() where window.to > window.from {
            let firstDay = Self.dayFloor(window.from + 86_399)
            let lastDay = Self.dayFloor(window.to)
            if firstDay < lastDay {
                if window.from < firstDay { segments.append(Segment(window: index, grain: .hour, from: window.from, to: firstDay)) }
                segments.append(Segment(window: index, grain: .day, from: firstDay, to: lastDay))
                if lastDay < window.to { segments.append(Segment(window: index, grain: .hour, from: lastDay, to: window.to)) }
            } else {
                segments.append(Segment(window: index, grain: .hour, from: window.from, to: window.to))
            }
        }
        return segments
    }

    static func dayFloor(_ seconds: Int64) -> Int64 {
        let remainder = seconds % 86_400
        return remainder >= 0 ? seconds - remainder : seconds - remainder - 86_400
    }

    /// The usage by metric of each window, in the order given.
    public func read(_ windows: [Window]) throws -> [[String: MeteredUsage]] {
        var partial = Array(repeating: [String: (counter: QuantitySum?, gauge: QuantitySum?, sources: [UsageSource])](), count: windows.count)
        let segments = Self.segments(of: windows)
        var results: [(Grain, PostgresResult?)]
        if let edgeConnection {
            let edges = BackgroundWork { [box = ConnectionBox(connection: edgeConnection)] in
                try Self.query(.hour, segments: segments, windows: windows, on: box.connection)
            }
            // The edge read is waited for even when the daily one fails: its connection is in use until then.
            let days = Result { try Self.query(.day, segments: segments, windows: windows, on: connection) }
            results = [(.hour, try edges.wait()), (.day, try days.get())]
        } else {
            results = [(.hour, try Self.query(.hour, segments: segments, windows: windows, on: connection)),
                       (.day, try Self.query(.day, segments: segments, windows: windows, on: connection))]
        }
        for (grain, result) in results {
            guard let result else { continue }
            for row in result.rows {
                guard let segmentIndex = row[0].flatMap({ Int($0) }), segments.indices.contains(segmentIndex),
                      let metric = row[1], let type = row[2] == "c" ? MetricType.counter : row[2] == "g" ? .gauge : nil,
                      let count = row[3].flatMap({ Int($0) }) else { continue }
                let segment = segments[segmentIndex]
                let value: QuantitySum
                if type == .counter {
                    guard let sum = row[4].flatMap(QuantitySum.init(decimal:)) else { throw unreadable(row) }
                    value = sum
                } else {
                    guard let maximum = row[5].flatMap(QuantitySum.init(decimal:)) else { throw unreadable(row) }
                    value = maximum
                }
                var entry = partial[segment.window][metric] ?? (nil, nil, [])
                if type == .counter {
                    var sum = entry.counter ?? .zero
                    sum.add(value)
                    entry.counter = sum
                } else {
                    entry.gauge = max(entry.gauge ?? value, value)
                }
                entry.sources.append(UsageSource(grain: grain, metric: metric, type: type, fromBucket: segment.from, toBucket: segment.to,
                                                 rows: count, quantity: value))
                partial[segment.window][metric] = entry
            }
        }
        return partial.map { metrics in
            metrics.reduce(into: [String: MeteredUsage]()) { result, item in
                // Counters add up; a gauge-only metric counts its largest value (as quotas do).
                let used = item.value.counter ?? item.value.gauge ?? .zero
                let sources = item.value.sources.filter { item.value.counter == nil || $0.type == .counter }
                    .sorted { ($0.type.rawValue, $0.fromBucket, $0.grain.rawValue) < ($1.type.rawValue, $1.fromBucket, $1.grain.rawValue) }
                result[item.key] = MeteredUsage(metric: item.key, used: used, kind: item.value.counter == nil ? .gauge : .counter,
                                                sources: sources)
            }
        }
    }

    /// The rows of `grain`'s segments, summed per segment, metric and type.
    static func query(_ grain: Grain, segments: [Segment], windows: [Window], on connection: PostgresConnection) throws -> PostgresResult? {
        let indexes = segments.indices.filter { segments[$0].grain == grain }
        guard !indexes.isEmpty else { return nil }
        // One index range scan (tenant, bucket) per segment: the cost follows the rows read,
        // never the size of the table.
        return try connection.executeBatch("""
            SELECT s.segment, r.metric, r.type, r.rows, r.sum, r.maximum
            FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bigint[]) AS s(segment, tenant, from_second, to_second)
            CROSS JOIN LATERAL (
                SELECT metric, type, count(*) AS rows, sum(sum) AS sum, max(maximum) AS maximum FROM \(RollupTable.name(grain))
                WHERE tenant = s.tenant AND bucket >= to_timestamp(s.from_second) AND bucket < to_timestamp(s.to_second)
                    AND type IN ('c', 'g')
                GROUP BY metric, type) r
            """, columns: [indexes.map { String($0) }, indexes.map { windows[segments[$0].window].tenant },
                           indexes.map { String(segments[$0].from) }, indexes.map { String(segments[$0].to) }])
    }

    func unreadable(_ row: [String?]) -> PostgresError {
        PostgresError(code: .invalidInput, message: "unreadable usage sum \(row)", target: connection.redactedTarget)
    }
}
