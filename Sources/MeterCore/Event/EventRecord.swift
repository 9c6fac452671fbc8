/// The binary form of one accepted event, as it travels through the ring to an aggregator.
///
/// Body layout (native byte order; records never leave the process in this form):
///
///     0  UInt8   kind            (0: event; 1: barrier marker, see `EventRecord.encodeMarker`)
///     1  UInt8   source, bits 16..23 (the stream connection that sent it; 0: none)
///     2  UInt16  idLength        (0: no idempotency key)
///     4  UInt16  memberLength    (sets only)
///     6  UInt16  source, bits 0..15
///     8  Int64   value units     (counters and gauges)
///     16 Int64   event time, Unix seconds
///     24 Int64   arrival time, Unix seconds
///     32 UInt64  series hash     (of the series key below)
///     40 UInt16  tenantLength    -- series key starts here
///     42 UInt16  metricLength
///     44 UInt16  dimensionsLength
///     46 UInt8   type            (MetricType raw value)
///     47 UInt8   dimensionCount
///     48 tenant bytes, metric bytes, then per dimension: UInt8 keyLength, UInt8 valueLength,
///        key bytes, value bytes (sorted by key) -- series key ends here
///        id bytes, member bytes
///
/// The series key (offset 40 to the end of the dimensions) is self-delimiting and canonical:
/// two events belong to the same series exactly when their series keys are byte-equal.
public enum EventRecord {
    @inlinable public static var headerBytes: Int { 48 }
    @inlinable static var seriesKeyOffset: Int { 40 }
    /// Byte 0 of an event record.
    @inlinable public static var eventKind: UInt8 { 0 }
    /// Byte 0 of a barrier marker: a 48-byte record (header only) that carries no event.
    /// Markers travel through the ring and the WAL like events; aggregation and replay skip
    /// them, and the shard thread reports them to the `BarrierBoard` (docs/line-protocol.md).
    @inlinable public static var markerKind: UInt8 { 1 }
    /// Source ids are 24 bits (bytes 1, 6 and 7); 0 means no source.
    @inlinable public static var maxSource: UInt32 { 0xFF_FFFF }

    /// The kind byte of an encoded record (event or marker).
    @inlinable
    public static func kind(of body: UnsafeRawBufferPointer) -> UInt8 {
        body.count == 0 ? 0 : body.load(fromByteOffset: 0, as: UInt8.self)
    }

    /// The source id of an encoded record (event or marker): 0 when none was set.
    @inlinable
    public static func source(of body: UnsafeRawBufferPointer) -> UInt32 {
        guard body.count >= headerBytes else { return 0 }
        return UInt32(body.load(fromByteOffset: 1, as: UInt8.self)) << 16
            | UInt32(body.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
    }

    @inlinable
    static func storeSource(_ source: UInt32, into base: UnsafeMutableRawPointer) {
        base.storeBytes(of: UInt8(truncatingIfNeeded: source >> 16), toByteOffset: 1, as: UInt8.self)
        base.storeBytes(of: UInt16(truncatingIfNeeded: source), toByteOffset: 6, as: UInt16.self)
    }

    /// Writes a barrier marker of `source` with `barrier` (bytes 8..<16) into `body`, which
    /// must be `headerBytes` long. Every other byte is zero.
    @inlinable
    public static func encodeMarker(source: UInt32, barrier: UInt64, into body: UnsafeMutableRawBufferPointer) {
        precondition(body.count == headerBytes, "marker body size mismatch")
        let base = body.baseAddress!
        base.initializeMemory(as: UInt8.self, repeating: 0, count: headerBytes)
        base.storeBytes(of: markerKind, toByteOffset: 0, as: UInt8.self)
        storeSource(source, into: base)
        base.storeBytes(of: barrier, toByteOffset: 8, as: UInt64.self)
    }

    /// The barrier id of a marker (`kind(of:) == markerKind`).
    @inlinable
    public static func barrier(ofMarker body: UnsafeRawBufferPointer) -> UInt64 {
        body.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    }

    /// Body bytes needed to encode `line`.
    @inlinable
    public static func bodyBytes(of line: ParsedLine) -> Int {
        var total = headerBytes + line.tenant.count + line.metric.count
        for dimension in line.dimensions {
            total += 2 + dimension.key.count + dimension.value.count
        }
        total += (line.id?.count ?? 0) + line.member.count
        return total
    }

    /// The hash that picks the ring shard: tenant and metric only, so every series of one
    /// (tenant, metric) lands in the same shard and keeps its order.
    @inlinable
    public static func shardHash(of line: ParsedLine, in source: UnsafeRawBufferPointer, hasher: ByteHasher) -> UInt64 {
        var state = hasher.combine(hasher.seed, UnsafeRawBufferPointer(rebasing: source[line.tenant]))
        state = hasher.combine(state, UnsafeRawBufferPointer(rebasing: source[line.metric]))
        return hasher.finish(state)
    }

    /// Writes `line` (whose ranges point into `source`) into `body`, which must be exactly
    /// `bodyBytes(of: line)` long.
    @inlinable
    public static func encode(_ line: ParsedLine, from source: UnsafeRawBufferPointer, receivedAt: Int64,
                              hasher: ByteHasher, sourceID: UInt32 = 0, into body: UnsafeMutableRawBufferPointer) {
        precondition(body.count == bodyBytes(of: line), "record body size mismatch")
        var dimensionsLength = 0
        for dimension in line.dimensions {
            dimensionsLength += 2 + dimension.key.count + dimension.value.count
        }
        let base = body.baseAddress!
        base.storeBytes(of: eventKind, as: UInt8.self)
        storeSource(sourceID, into: base)
        base.storeBytes(of: UInt16(line.id?.count ?? 0), toByteOffset: 2, as: UInt16.self)
        base.storeBytes(of: UInt16(line.member.count), toByteOffset: 4, as: UInt16.self)
        base.storeBytes(of: line.value.units, toByteOffset: 8, as: Int64.self)
        base.storeBytes(of: line.timestamp, toByteOffset: 16, as: Int64.self)
        base.storeBytes(of: receivedAt, toByteOffset: 24, as: Int64.self)
        base.storeBytes(of: UInt16(line.tenant.count), toByteOffset: 40, as: UInt16.self)
        base.storeBytes(of: UInt16(line.metric.count), toByteOffset: 42, as: UInt16.self)
        base.storeBytes(of: UInt16(dimensionsLength), toByteOffset: 44, as: UInt16.self)
        base.storeBytes(of: line.type.rawValue, toByteOffset: 46, as: UInt8.self)
        base.storeBytes(of: UInt8(line.dimensions.count), toByteOffset: 47, as: UInt8.self)

        var offset = headerBytes
        let sourceBase = source.baseAddress!
        func copy(_ range: Range<Int>) {
            copyShort(to: base + offset, from: sourceBase + range.lowerBound, count: range.count)
            offset += range.count
        }
        copy(line.tenant)
        copy(line.metric)
        for dimension in line.dimensions {
            base.storeBytes(of: UInt8(dimension.key.count), toByteOffset: offset, as: UInt8.self)
            base.storeBytes(of: UInt8(dimension.value.count), toByteOffset: offset + 1, as: UInt8.self)
            offset += 2
            copy(dimension.key)
            copy(dimension.value)
        }
        let seriesKey = UnsafeRawBufferPointer(start: base + seriesKeyOffset, count: offset - seriesKeyOffset)
        base.storeBytes(of: hasher.hash(seriesKey), toByteOffset: 32, as: UInt64.self)
        if let id = line.id { copy(id) }
        copy(line.member)
    }
}

/// Copies `count` bytes. The pieces of a record are a few bytes each, where a `memcpy` call
/// costs more than the copy: up to 16 bytes are moved with two overlapping word copies.
@inlinable @inline(__always)
func copyShort(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
    switch count {
    case 0:
        return
    case 1 ..< 8:
        for offset in 0 ..< count {
            destination.storeBytes(of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
        }
    case 8 ... 16:
        let head = source.loadUnaligned(as: UInt64.self)
        let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        destination.storeBytes(of: head, as: UInt64.self)
        destination.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
    default:
        destination.copyMemory(from: source, byteCount: count)
    }
}

/// Read access to an encoded event body. Construction checks that the lengths fit the
/// body, so a view never reads outside it.
public struct EventRecordView {
    public let body: UnsafeRawBufferPointer

    @inlinable
    public init?(_ body: UnsafeRawBufferPointer) {
        guard body.count >= EventRecord.headerBytes,
              body.load(fromByteOffset: 0, as: UInt8.self) == EventRecord.eventKind else { return nil }
        self.body = body
        let keyEnd = EventRecord.headerBytes + tenantLength + metricLength + dimensionsLength
        guard MetricType(rawValue: body.load(fromByteOffset: 46, as: UInt8.self)) != nil,
              keyEnd + idLength + memberLength == body.count else { return nil }
    }

    @inlinable var idLength: Int { Int(body.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    @inlinable var memberLength: Int { Int(body.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) }
    @inlinable var tenantLength: Int { Int(body.loadUnaligned(fromByteOffset: 40, as: UInt16.self)) }
    @inlinable var metricLength: Int { Int(body.loadUnaligned(fromByteOffset: 42, as: UInt16.self)) }
    @inlinable var dimensionsLength: Int { Int(body.loadUnaligned(fromByteOffset: 44, as: UInt16.self)) }

    @inlinable public var type: MetricType { MetricType(rawValue: body.load(fromByteOffset: 46, as: UInt8.self))! }
    @inlinable public var dimensionCount: Int { Int(body.load(fromByteOffset: 47, as: UInt8.self)) }
    @inlinable public var value: Quantity { Quantity(units: body.loadUnaligned(fromByteOffset: 8, as: Int64.self)) }
    @inlinable public var timestamp: Int64 { body.loadUnaligned(fromByteOffset: 16, as: Int64.self) }
    @inlinable public var receivedAt: Int64 { body.loadUnaligned(fromByteOffset: 24, as: Int64.self) }
    @inlinable public var seriesHash: UInt64 { body.loadUnaligned(fromByteOffset: 32, as: UInt64.self) }

    /// The canonical series key: equal keys mean the same series.
    @inlinable public var seriesKey: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: body[EventRecord.seriesKeyOffset ..< EventRecord.headerBytes + tenantLength + metricLength + dimensionsLength])
    }

    @inlinable public var tenant: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: body[EventRecord.headerBytes ..< EventRecord.headerBytes + tenantLength])
    }

    @inlinable public var metric: UnsafeRawBufferPointer {
        let start = EventRecord.headerBytes + tenantLength
        return UnsafeRawBufferPointer(rebasing: body[start ..< start + metricLength])
    }

    /// The encoded dimensions region; decode with `SeriesKey.forEachDimension`.
    @inlinable public var dimensions: UnsafeRawBufferPointer {
        let start = EventRecord.headerBytes + tenantLength + metricLength
        return UnsafeRawBufferPointer(rebasing: body[start ..< start + dimensionsLength])
    }

    /// The idempotency key, or nil when the event has none.
    @inlinable public var id: UnsafeRawBufferPointer? {
        let length = idLength
        if length == 0 { return nil }
        let start = EventRecord.headerBytes + tenantLength + metricLength + dimensionsLength
        return UnsafeRawBufferPointer(rebasing: body[start ..< start + length])
    }

    /// The set member (empty for counters and gauges).
    @inlinable public var member: UnsafeRawBufferPointer {
        let start = body.count - memberLength
        return UnsafeRawBufferPointer(rebasing: body[start ..< body.count])
    }
}
