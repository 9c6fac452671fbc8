/// The series a usage query asks about: one tenant, and one metric or all of its metrics.
/// Matched against canonical series keys byte by byte, without decoding them, because a
/// snapshot examines every series of a shard.
public struct SeriesSelection: Sendable, Hashable {
    public let tenant: String
    /// nil: every metric of the tenant.
    public let metric: String?
    private let tenantBytes: [UInt8]
    private let metricBytes: [UInt8]?

    public init(tenant: String, metric: String? = nil) {
        self.tenant = tenant
        self.metric = metric
        tenantBytes = Array(tenant.utf8)
        metricBytes = metric.map { Array($0.utf8) }
    }

    /// Whether `key` (as `EventRecordView.seriesKey` encodes it) belongs to the selection.
    public func matches(_ key: [UInt8]) -> Bool {
        key.withUnsafeBytes { key in
            guard key.count >= SeriesKey.headerBytes else { return false }
            let tenantLength = Int(key.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
            let metricLength = Int(key.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let tenantStart = SeriesKey.headerBytes
            guard tenantLength == tenantBytes.count, tenantStart + tenantLength + metricLength <= key.count,
                  tenantBytes.elementsEqual(key[tenantStart ..< tenantStart + tenantLength]) else { return false }
            guard let metricBytes else { return true }
            let metricStart = tenantStart + tenantLength
            return metricLength == metricBytes.count
                && metricBytes.elementsEqual(key[metricStart ..< metricStart + metricLength])
        }
    }
}
