import MeterCore

/// One statement's worth of rows of one grain, as the array columns of `RollupWriter.upsertSQL`.
package struct RollupBatch {
    var tenant: [String?] = [], metric: [String?] = [], type: [String?] = [], dimensions: [String?] = []
    var bucket: [String?] = [], events: [String?] = [], sum: [String?] = [], integral: [String?] = []
    var minimum: [String?] = [], maximum: [String?] = [], latest: [String?] = [], latestTime: [String?] = []
    var memberTenant: [String?] = [], memberMetric: [String?] = [], memberDimensions: [String?] = []
    var memberBucket: [String?] = [], member: [String?] = []

    var rowCount: Int { tenant.count }
    var memberCount: Int { member.count }

    /// Appends one (already folded) delta. Throws `invalidInput` for a malformed series key.
    mutating func append(_ delta: RollupDelta) throws {
        guard let decoded = delta.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else {
            throw PostgresError(code: .invalidInput, message: "malformed series key in a rollup delta")
        }
        let dimensionsJSON = Self.json(decoded.dimensions)
        let bucketText = String(delta.bucketStart)
        tenant.append(decoded.tenant)
        metric.append(decoded.metric)
        type.append(RollupTable.typeCode(delta.type))
        dimensions.append(dimensionsJSON)
        bucket.append(bucketText)
        events.append(String(delta.events))
        // QuantitySum.description is the exact decimal: no floating point on the way.
        sum.append(delta.sum.description)
        integral.append(delta.integral.description)
        minimum.append(delta.minimum?.description)
        maximum.append(delta.maximum?.description)
        latest.append(delta.latest?.description)
        latestTime.append(delta.latest == nil ? nil : String(delta.latestTime))
        for fingerprint in delta.newMembers {
            memberTenant.append(decoded.tenant)
            memberMetric.append(decoded.metric)
            memberDimensions.append(dimensionsJSON)
            memberBucket.append(bucketText)
            member.append(Self.uuid(fingerprint))
        }
    }

    package var columns: [[String?]] {
        [tenant, metric, type, dimensions, bucket, events, sum, integral, minimum, maximum, latest, latestTime,
         memberTenant, memberMetric, memberDimensions, memberBucket, member]
    }

    /// The dimensions as a JSON object, keys in the series key's (sorted) order; `{}` when none.
    static func json(_ dimensions: [(key: String, value: String)]) -> String {
        var text = "{"
        for (index, dimension) in dimensions.enumerated() {
            if index > 0 { text += "," }
            JSONString.append(dimension.key, to: &text)
            text += ":"
            JSONString.append(dimension.value, to: &text)
        }
        return text + "}"
    }

    /// A 128-bit member fingerprint as a uuid (32 hex digits, high word first).
    static func uuid(_ fingerprint: Fingerprint128) -> String {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        let text = hex(fingerprint.high) + hex(fingerprint.low)
        var result = ""
        for (index, character) in text.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { result += "-" }
            result.append(character)
        }
        return result
    }
}
