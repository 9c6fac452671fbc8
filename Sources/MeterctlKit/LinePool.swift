import MeterCore

/// The pre-generated traffic of `meterctl load`: `packetCount` packets of `linesPerPacket`
/// lines each, `metric-<m>:<value>|c|#tenant:t<k>`, with `m` and `k` drawn from a SplitMix64
/// seeded with `seed`, so the same arguments send the same bytes on every run.
public struct LinePool: Sendable {
    /// Each packet's bytes; lines end with `\n` on streams. On UDP the last `\n` is left out.
    public let packets: [[UInt8]]
    /// For each packet, the byte offset just past each of its lines (terminator included), so a
    /// final partial packet of `k` lines is `packets[p][..<lineEnds[p][k - 1]]`.
    public let lineEnds: [[Int]]
    public let linesPerPacket: Int

    public init(seed: UInt64, tenants: Int, metrics: Int, value: String, linesPerPacket: Int,
                packetCount: Int, datagrams: Bool) {
        var random = SplitMix64(seed: seed)
        var packets: [[UInt8]] = []
        var lineEnds: [[Int]] = []
        packets.reserveCapacity(packetCount)
        for _ in 0 ..< packetCount {
            var packet: [UInt8] = []
            var ends: [Int] = []
            for index in 0 ..< linesPerPacket {
                let metric = random.next() % UInt64(metrics)
                let tenant = random.next() % UInt64(tenants)
                packet.append(contentsOf: LinePool.line(metric: metric, tenant: tenant, value: value).utf8)
                if !datagrams || index < linesPerPacket - 1 { packet.append(UInt8(ascii: "\n")) }
                ends.append(packet.count)
            }
            packets.append(packet)
            lineEnds.append(ends)
        }
        self.packets = packets
        self.lineEnds = lineEnds
        self.linesPerPacket = linesPerPacket
    }

    public static func line(metric: UInt64, tenant: UInt64, value: String) -> String {
        "metric-\(metric):\(value)|c|#tenant:t\(tenant)"
    }

    /// The bytes of the first `lines` lines of packet `index`.
    public func prefix(of index: Int, lines: Int) -> ArraySlice<UInt8> {
        packets[index][..<lineEnds[index][lines - 1]]
    }

    /// How many packets to pre-generate: enough for `events`, at most `cap`.
    public static func packetCount(events: Int?, linesPerPacket: Int, cap: Int = 1_024) -> Int {
        guard let events else { return cap }
        return max(1, min(cap, (events + linesPerPacket - 1) / linesPerPacket))
    }
}

/// Local validation of lines with meterd's own parser (`meterctl send --check`).
public struct LineCheck {
    let parser = LineParser(limits: ProtocolLimits())
    var parsed: ParsedLine

    public init() { parsed = parser.makeParsedLine() }

    /// Why meterd would refuse `line` at parse time, or nil when it would accept it.
    /// (Aggregator limits and deduplication are not checked: they depend on the daemon's state.)
    public mutating func refusal(_ line: [UInt8], now: Int64) -> RefusalReason? {
        line.withUnsafeBytes { parser.parse($0, now: now, into: &parsed) }
    }
}
