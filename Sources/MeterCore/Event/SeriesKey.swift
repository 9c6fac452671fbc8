/// Decoding of a canonical series key (see `EventRecord`) back into its parts.
/// Used off the hot path: flush deltas, queries, tests.
public enum SeriesKey {
    @inlinable static var headerBytes: Int { 8 }

    /// Calls `body` with each (key, value) dimension of an encoded dimensions region.
    /// Stops quietly at a truncated entry, so it never reads outside `dimensions`.
    @inlinable
    public static func forEachDimension(in dimensions: UnsafeRawBufferPointer,
                                        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var offset = 0
        while offset + 2 <= dimensions.count {
            let keyLength = Int(dimensions[offset])
            let valueLength = Int(dimensions[offset + 1])
            let keyStart = offset + 2
            let valueStart = keyStart + keyLength
            let end = valueStart + valueLength
            guard end <= dimensions.count else { return }
            try body(UnsafeRawBufferPointer(rebasing: dimensions[keyStart ..< valueStart]),
                     UnsafeRawBufferPointer(rebasing: dimensions[valueStart ..< end]))
            offset = end
        }
    }

    /// The parts of a series key, decoded as strings.
    public struct Decoded: Sendable, Hashable {
        public var tenant: String
        public var metric: String
        public var type: MetricType
        /// Dimensions in key order.
        public var dimensions: [(key: String, value: String)]

        public static func == (lhs: Decoded, rhs: Decoded) -> Bool {
            lhs.tenant == rhs.tenant && lhs.metric == rhs.metric && lhs.type == rhs.type
                && lhs.dimensions.elementsEqual(rhs.dimensions) { $0.key == $1.key && $0.value == $1.value }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(tenant)
            hasher.combine(metric)
            hasher.combine(type)
            for dimension in dimensions {
                hasher.combine(dimension.key)
                hasher.combine(dimension.value)
            }
        }

        public init(tenant: String, metric: String, type: MetricType, dimensions: [(key: String, value: String)]) {
            self.tenant = tenant
            self.metric = metric
            self.type = type
            self.dimensions = dimensions
        }
    }

    /// Decodes a series key as produced by `EventRecordView.seriesKey`; nil if malformed.
    public static func decode(_ key: UnsafeRawBufferPointer) -> Decoded? {
        guard key.count >= headerBytes else { return nil }
        let tenantLength = Int(key.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        let metricLength = Int(key.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let dimensionsLength = Int(key.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard let type = MetricType(rawValue: key[6]),
              headerBytes + tenantLength + metricLength + dimensionsLength == key.count else { return nil }
        let tenantStart = headerBytes
        let metricStart = tenantStart + tenantLength
        let dimensionsStart = metricStart + metricLength
        var dimensions: [(key: String, value: String)] = []
        forEachDimension(in: UnsafeRawBufferPointer(rebasing: key[dimensionsStart ..< key.count])) { k, v in
            dimensions.append((String(decoding: k, as: UTF8.self), String(decoding: v, as: UTF8.self)))
        }
        return Decoded(
            tenant: String(decoding: UnsafeRawBufferPointer(rebasing: key[tenantStart ..< metricStart]), as: UTF8.self),
            metric: String(decoding: UnsafeRawBufferPointer(rebasing: key[metricStart ..< dimensionsStart]), as: UTF8.self),
            type: type,
            dimensions: dimensions)
    }
}
