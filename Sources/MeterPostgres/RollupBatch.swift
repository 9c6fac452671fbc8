import MeterCore

/// One statement's worth of rows of one grain, as the array columns of `RollupWriter.upsertSQL`.
package struct RollupBatch {
    typealias Column = PostgresArrayBuilder
    var tenant = Column(), metric = Column(), type = Column(), dimensions = Column()
    var bucket = Column(), events = Column(), sum = Column(), integral = Column()
    var minimum = Column(), maximum = Column(), latest = Column(), latestTime = Column()
    var memberTenant = Column(), memberMetric = Column(), memberDimensions = Column()
    var memberBucket = Column(), member = Column()

    var rowCount: Int { tenant.count }
    var memberCount: Int { member.count }

    /// Appends one (already folded) delta. Throws `invalidInput` for a malformed series key.
    mutating func append(_ delta: RollupDelta) throws {
        guard let decoded = delta.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else {
            throw PostgresError(code: .invalidInput, message: "malformed series key in a rollup delta")
        }
        let dimensionsJSON = Self.json(decoded.dimensions)
        tenant.append(decoded.tenant)
        metric.append(decoded.metric)
        type.append(RollupTable.typeCode(delta.type))
        dimensions.append(dimensionsJSON)
        bucket.append(delta.bucketStart)
        events.append(delta.events)
        // QuantitySum.description is the exact decimal: no floating point on the way.
        sum.append(delta.sum.description)
        integral.append(delta.integral.description)
        minimum.append(delta.minimum?.description)
        maximum.append(delta.maximum?.description)
        latest.append(delta.latest?.description)
        if delta.latest == nil { latestTime.appendNull() } else { latestTime.append(delta.latestTime) }
        for fingerprint in delta.newMembers {
            memberTenant.append(decoded.tenant)
            memberMetric.append(decoded.metric)
            memberDimensions.append(dimensionsJSON)
            memberBucket.append(delta.bucketStart)
            member.appendUUID(high: fingerprint.high, low: fingerprint.low)
        }
    }

    /// The array literals `$1` ... `$17` of `RollupWriter.upsertSQL`.
    package var literals: [String] {
        [tenant, metric, type, dimensions, bucket, events, sum, integral, minimum, maximum, latest, latestTime,
         memberTenant, memberMetric, memberDimensions, memberBucket, member].map { $0.literal() }
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
}
