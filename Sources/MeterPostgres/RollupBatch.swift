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
        guard let decoded = delta.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else {
            throw PostgresError(code: .invalidInput, message: "malformed series key in a rollup delta")
        }
        let dimensionsJSON = Self.json(decoded.dimensions)
        let grain = delta.grain.name
        rows.append(nextOrdinal)
        nextOrdinal += 1
        rows.append(grain)
        rows.append(decoded.tenant)
        rows.append(decoded.metric)
        rows.append(RollupTable.typeCode(delta.type))
        rows.append(dimensionsJSON)
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
