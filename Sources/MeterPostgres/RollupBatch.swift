import MeterCore

/// The rows of one write in `COPY` text form: `RollupWriter.copyRowsSQL`'s columns for the
/// rows, `copyMembersSQL`'s for the set members.
package struct RollupBatch {
    package var rows = PostgresCopyBuilder()
    package var members = PostgresCopyBuilder()
    /// Set members per grain (`Grain.finestFirst` order), to leave out the member part of the
    /// upserts of grains without any.
    package var membersPerGrain = [0, 0, 0]
    private var nextOrdinal: Int64 = 0

    package init(reservingRows count: Int = 0) {
        rows = PostgresCopyBuilder(reservingBytes: count * 128)
    }

    /// Appends one (already folded) delta. Throws `invalidInput` for a malformed series key.
    package mutating func append(_ delta: RollupDelta) throws {
        let grain = delta.grain.name
        let fast = delta.seriesKey.withUnsafeBytes { key in
            guard let parts = Self.asciiParts(key) else { return false }
            rows.append(nextOrdinal)
            rows.append(grain)
            rows.append(utf8: parts.tenant)
            rows.append(utf8: parts.metric)
            rows.append(RollupTable.typeCode(delta.type))
            rows.appendJSONObject(parts.dimensions, each: Self.eachDimension)
            for fingerprint in delta.newMembers {
                members.append(grain)
                members.append(utf8: parts.tenant)
                members.append(utf8: parts.metric)
                members.appendJSONObject(parts.dimensions, each: Self.eachDimension)
                members.append(delta.bucketStart)
                members.appendUUID(high: fingerprint.high, low: fingerprint.low)
                members.endRow()
            }
            return true
        }
        if !fast {
            // Non-ASCII text: through String, which also replaces invalid UTF-8.
            guard let decoded = delta.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else {
                throw PostgresError(code: .invalidInput, message: "malformed series key in a rollup delta")
            }
            let dimensionsJSON = Self.json(decoded.dimensions)
            rows.append(nextOrdinal)
            rows.append(grain)
            rows.append(decoded.tenant)
            rows.append(decoded.metric)
            rows.append(RollupTable.typeCode(delta.type))
            rows.append(dimensionsJSON)
            for fingerprint in delta.newMembers {
                members.append(grain)
                members.append(decoded.tenant)
                members.append(decoded.metric)
                members.append(dimensionsJSON)
                members.append(delta.bucketStart)
                members.appendUUID(high: fingerprint.high, low: fingerprint.low)
                members.endRow()
            }
        }
        nextOrdinal += 1
        rows.append(delta.bucketStart)
        rows.append(delta.events)
        // QuantitySum.description is the exact decimal: no floating point on the way.
        rows.append(delta.sum.description)
        rows.append(delta.integral.description)
        rows.append(delta.minimum?.description)
        rows.append(delta.maximum?.description)
        rows.append(delta.latest?.description)
        if delta.latest == nil { rows.appendNull() } else { rows.append(delta.latestTime) }
        rows.endRow()
        if !delta.newMembers.isEmpty {
            membersPerGrain[Grain.finestFirst.firstIndex(of: delta.grain)!] += delta.newMembers.count
        }
    }

    private static func eachDimension(_ region: UnsafeRawBufferPointer,
                                      _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        SeriesKey.forEachDimension(in: region, body)
    }

    /// The tenant, metric and dimensions regions of an all-ASCII, well-formed series key (the
    /// layout `SeriesKey.decode` reads: three UInt16 lengths, the type, a spare byte, then the
    /// parts); nil otherwise, and the caller decodes through String.
    static func asciiParts(_ key: UnsafeRawBufferPointer)
        -> (tenant: UnsafeRawBufferPointer, metric: UnsafeRawBufferPointer, dimensions: UnsafeRawBufferPointer)? {
        let header = 8
        guard key.count >= header, !key.contains(where: { $0 >= 0x80 }) else { return nil }
        let tenantLength = Int(key.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        let metricLength = Int(key.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let dimensionsLength = Int(key.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard MetricType(rawValue: key[6]) != nil,
              header + tenantLength + metricLength + dimensionsLength == key.count else { return nil }
        let metricStart = header + tenantLength
        let dimensionsStart = metricStart + metricLength
        return (UnsafeRawBufferPointer(rebasing: key[header ..< metricStart]),
                UnsafeRawBufferPointer(rebasing: key[metricStart ..< dimensionsStart]),
                UnsafeRawBufferPointer(rebasing: key[dimensionsStart...]))
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
