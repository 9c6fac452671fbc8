import MeterCore

/// An event described with strings, encoded into records without going through the parser,
/// so aggregation tests do not depend on the line protocol.
struct TestEvent {
    var tenant: String
    var metric: String
    var type: MetricType = .counter
    var value: Int64 = 0
    var member: String = ""
    var id: String? = nil
    /// Sorted by key, as the parser delivers them.
    var dimensions: [(String, String)] = []
    var timestamp: Int64
    var receivedAt: Int64

    /// Appends the encoded event to `batch`; returns false when the batch is full.
    @discardableResult
    func append(to batch: RecordBatch, hasher: ByteHasher) -> Bool {
        var bytes: [UInt8] = []
        func add(_ text: String) -> Range<Int> {
            let start = bytes.count
            bytes.append(contentsOf: Array(text.utf8))
            return start ..< bytes.count
        }
        var line = ParsedLine(maxDimensions: dimensions.count)
        line.tenant = add(tenant)
        line.metric = add(metric)
        line.type = type
        line.value = Quantity(units: value)
        if type == .set { line.member = add(member) }
        if let id { line.id = add(id) }
        for (key, value) in dimensions.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
            let keyRange = add(key)
            line.dimensions.append(.init(key: keyRange, value: add(value)))
        }
        line.timestamp = timestamp
        return bytes.withUnsafeBytes { source in
            batch.append(bodyBytes: EventRecord.bodyBytes(of: line)) { body in
                EventRecord.encode(line, from: source, receivedAt: receivedAt, hasher: hasher, into: body)
            }
        }
    }

    /// The canonical series key the aggregator will report for this event.
    func seriesKey(hasher: ByteHasher) -> [UInt8] {
        let batch = RecordBatch(capacity: 4096)
        append(to: batch, hasher: hasher)
        var key: [UInt8] = []
        batch.forEachRecord { body in key = [UInt8](EventRecordView(body)!.seriesKey) }
        return key
    }
}
