import MeterCore

/// The flushed half of a usage answer: what the rollup store holds for a request, read in one
/// snapshot together with the count of flush writes it holds (docs/queries.md, step 3).
public struct StoredUsage: Sendable {
    /// This instance's flush counter as the rows' snapshot sees it (`C`).
    public var committedWrites: Int64
    /// Whether the store holds any row of the tenant, in any grain and bucket.
    public var tenantKnown: Bool
    public var rows: [Row]

    public struct Row: Sendable, Hashable {
        public var series: UsageSeriesID
        public var bucketStart: Int64
        public var value: RollupValue

        public init(series: UsageSeriesID, bucketStart: Int64, value: RollupValue) {
            self.series = series
            self.bucketStart = bucketStart
            self.value = value
        }
    }

    public init(committedWrites: Int64, tenantKnown: Bool, rows: [Row]) {
        self.committedWrites = committedWrites
        self.tenantKnown = tenantKnown
        self.rows = rows
    }
}

/// Where usage queries read the flushed rollups. `read` blocks (a database round trip) and is
/// called on the query thread only, one call at a time; it must read the rows and the flush
/// counter in one consistent snapshot.
public protocol UsageStore: Sendable {
    func read(_ request: UsageRequest) throws -> StoredUsage
}

/// The store without PostgreSQL: the in-memory sink's rows and its write count, read together
/// under its lock.
public struct InMemoryUsageStore: UsageStore {
    let sink: InMemoryRollupSink

    public init(sink: InMemoryRollupSink) { self.sink = sink }

    public func read(_ request: UsageRequest) throws -> StoredUsage {
        let (all, writes) = sink.rowsAndWrites()
        let selection = request.selection
        let tenantOnly = SeriesSelection(tenant: request.tenant)
        var known = false
        var rows: [StoredUsage.Row] = []
        for (key, value) in all where tenantOnly.matches(key.seriesKey) {
            known = true
            guard selection.matches(key.seriesKey), let series = UsageSeriesID(seriesKey: key.seriesKey),
                  request.includes(metric: series.metric, dimensions: series.dimensions, grain: key.grain,
                                   bucketStart: key.bucketStart) else { continue }
            rows.append(StoredUsage.Row(series: series, bucketStart: key.bucketStart, value: value))
        }
        return StoredUsage(committedWrites: writes, tenantKnown: known, rows: rows)
    }
}

extension UsageSeriesID {
    /// The metric, type and dimensions of a canonical series key; nil if malformed.
    init?(seriesKey: [UInt8]) {
        guard let decoded = seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else { return nil }
        self.init(metric: decoded.metric, type: decoded.type,
                  dimensions: decoded.dimensions.map { UsageDimension(key: $0.key, value: $0.value) })
    }
}
