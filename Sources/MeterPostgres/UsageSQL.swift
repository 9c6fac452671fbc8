public import MeterCore

/// The read of a usage query (docs/queries.md, step 3): this instance's flush counter and the
/// rollup rows of the request, in one `REPEATABLE READ` transaction so both come from one
/// database snapshot. Blocking: run it on a thread of its own, on a connection of its own
/// (never the flush writer's).
public enum UsageSQL {
    /// One stored rollup row of the request.
    public struct Row: Sendable, Hashable {
        public var metric: String
        public var type: MetricType
        /// Sorted by key.
        public var dimensions: [Dimension]
        public var bucketStart: Int64
        public var value: RollupValue
    }

    public struct Dimension: Sendable, Hashable {
        public var key: String
        public var value: String
    }

    public struct Snapshot: Sendable {
        /// `meterd.flush_checkpoints.wal_position` of the instance (0 when it never flushed).
        public var committedWrites: Int64
        /// Whether any rollup row of the tenant exists (any grain, any bucket).
        public var tenantKnown: Bool
        public var rows: [Row]
    }

    /// Reads the rows of `tenant` (and `metric`, when given) in `grain`'s table whose bucket
    /// starts in `[fromBucket, to)` and whose dimensions include all of `dimensions`.
    public static func read(on connection: PostgresConnection, instance: String, tenant: String, metric: String?,
                            grain: Grain, fromBucket: Int64, to: Int64,
                            dimensions: [(key: String, value: String)]) throws -> Snapshot {
        let filter = "{" + dimensions.map { JSONString.quoted($0.key) + ":" + JSONString.quoted($0.value) }
            .joined(separator: ",") + "}"
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        do {
            let head = try connection.execute(headSQL, parameters: [instance, tenant]).rows
            let result = try connection.execute(rowsSQL(grain), parameters: [tenant, metric, filter, String(fromBucket), String(to)])
            try connection.execute("COMMIT")
            let committed = head.first?[0].flatMap { Int64($0) } ?? 0
            let known = head.first?[1] == "t"
            return Snapshot(committedWrites: committed, tenantKnown: known, rows: try result.rows.map(row))
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// The counter and whether the tenant has rows: every event lands in all three grains, so
    /// the monthly table (index on tenant, bucket) answers for all.
    static let headSQL = """
        SELECT (SELECT wal_position FROM \(RollupTable.schema).flush_checkpoints WHERE instance = $1),
               EXISTS (SELECT 1 FROM \(RollupTable.schema).usage_monthly WHERE tenant = $2)
        """

    /// Dimensions come back as `<bytes>:<key><bytes>:<value>...` so no JSON parser is needed.
    static func rowsSQL(_ grain: Grain) -> String {
        """
        SELECT metric, type,
               (SELECT coalesce(string_agg(octet_length(key) || ':' || key || octet_length(value) || ':' || value, ''), '')
                  FROM jsonb_each_text(dimensions)),
               extract(epoch FROM bucket)::bigint, events, sum, integral, minimum, maximum, latest,
               extract(epoch FROM latest_time)::bigint, uniques
          FROM \(RollupTable.name(grain))
         WHERE tenant = $1 AND ($2::text IS NULL OR metric = $2) AND dimensions @> $3::jsonb
           AND bucket >= to_timestamp($4::bigint) AND bucket < to_timestamp($5::bigint)
        """
    }

    static func row(_ columns: [String?]) throws -> Row {
        guard columns.count == 12, let metric = columns[0], let typeText = columns[1],
              let type = MetricType.allCases.first(where: { RollupTable.typeCode($0) == typeText }),
              let dimensions = columns[2].flatMap(decodeDimensions), let bucket = columns[3].flatMap({ Int64($0) }),
              let events = columns[4].flatMap({ Int64($0) }) else {
            throw PostgresError(code: .invalidInput, message: "a usage row of an unexpected shape", detail: "\(columns)")
        }
        var value = RollupValue(type: type)
        value.events = events
        value.sum = try sum(columns[5])
        value.integral = try sum(columns[6])
        value.minimum = try quantity(columns[7])
        value.maximum = try quantity(columns[8])
        value.latest = try quantity(columns[9])
        value.latestTime = columns[10].flatMap { Int64($0) } ?? .min
        value.unique = columns[11].flatMap { Int($0) } ?? 0
        return Row(metric: metric, type: type, dimensions: dimensions.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) },
                   bucketStart: bucket, value: value)
    }

    static func sum(_ text: String?) throws -> QuantitySum {
        guard let text else { return .zero }
        guard let sum = QuantitySum(decimal: text) else {
            throw PostgresError(code: .invalidInput, message: "not an exact decimal: \(text)")
        }
        return sum
    }

    static func quantity(_ text: String?) throws -> Quantity? {
        guard let text else { return nil }
        guard let quantity = Quantity(text) else {
            throw PostgresError(code: .invalidInput, message: "not an exact decimal: \(text)")
        }
        return quantity
    }

    /// Decodes `<bytes>:<key><bytes>:<value>...`; nil if malformed.
    static func decodeDimensions(_ text: String) -> [Dimension]? {
        var bytes = Array(text.utf8)[...]
        func field() -> String? {
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
                  let length = Int(String(decoding: bytes[bytes.startIndex ..< colon], as: UTF8.self)),
                  length >= 0, colon + 1 + length <= bytes.endIndex else { return nil }
            let value = String(decoding: bytes[colon + 1 ..< colon + 1 + length], as: UTF8.self)
            bytes = bytes[(colon + 1 + length)...]
            return value
        }
        var dimensions: [Dimension] = []
        while !bytes.isEmpty {
            guard let key = field(), let value = field() else { return nil }
            dimensions.append(Dimension(key: key, value: value))
        }
        return dimensions
    }
}

extension QuantitySum {
    /// Parses a plain decimal (`-12.5`, `300`) with at most `Quantity.scale` significant
    /// fractional digits, as PostgreSQL prints `numeric`; nil otherwise or on overflow.
    public init?(decimal text: String) {
        var units: Int128 = 0
        var negative = false
        var fractionDigits = 0
        var seenDot = false
        var sawDigit = false
        for (index, byte) in text.utf8.enumerated() {
            if index == 0 && byte == UInt8(ascii: "-") { negative = true; continue }
            if byte == UInt8(ascii: ".") && !seenDot { seenDot = true; continue }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            let digit = Int128(byte - UInt8(ascii: "0"))
            if seenDot {
                if fractionDigits == Quantity.scale {
                    if digit != 0 { return nil }
                    continue
                }
                fractionDigits += 1
            }
            let (shifted, overflow) = units.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            let (added, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow2 else { return nil }
            units = added
        }
        guard sawDigit else { return nil }
        for _ in fractionDigits ..< Quantity.scale {
            let (shifted, overflow) = units.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            units = shifted
        }
        self.init(units: negative ? -units : units)
    }
}
