/// One accepted line, as byte ranges into the buffer it was parsed from.
///
/// The parser fills a caller-owned `ParsedLine` so the hot path never allocates: the
/// `dimensions` array keeps its reserved capacity from line to line.
public struct ParsedLine: Sendable {
    /// One dimension tag, `key:value`.
    public struct Dimension: Sendable, Hashable {
        public var key: Range<Int>
        public var value: Range<Int>
        @inlinable public init(key: Range<Int>, value: Range<Int>) {
            self.key = key
            self.value = value
        }
    }

    public var metric: Range<Int> = 0..<0
    public var type: MetricType = .counter
    /// The value of a counter or gauge; zero for sets.
    public var value: Quantity = .zero
    /// The member of a set; empty for counters and gauges.
    public var member: Range<Int> = 0..<0
    public var tenant: Range<Int> = 0..<0
    /// The idempotency key, or nil when the line has none.
    public var id: Range<Int>? = nil
    /// Event time in Unix seconds: the `|T` field, or the arrival time when absent.
    public var timestamp: Int64 = 0
    /// Dimension tags sorted by key bytes, so equal tag sets give equal series keys.
    public var dimensions: [Dimension]

    /// Reserves room for `maxDimensions` tags so parsing never grows the array.
    public init(maxDimensions: Int) {
        dimensions = []
        dimensions.reserveCapacity(Swift.max(maxDimensions, 1))
    }
}
