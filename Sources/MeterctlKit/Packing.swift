/// Packs lines into UDP datagrams. Pure: no sockets, so it is unit-tested directly.
public enum DatagramPacking {
    /// The largest UDP payload over IPv4.
    public static let maxUDPPayload = 65_507

    /// Packs `lines` (without terminators), in order, into datagrams of at most `maxBytes`
    /// bytes, never splitting a line. Lines inside a datagram are separated by `\n`; the last
    /// line of a datagram has no terminator (meterd does not need one). A line longer than
    /// `maxBytes` on its own goes alone into its own datagram. Empty lines are dropped (meterd
    /// skips them without counting them).
    public static func pack(_ lines: [[UInt8]], maxBytes: Int) -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var current: [UInt8] = []
        for line in lines where !line.isEmpty {
            if !current.isEmpty, current.count + 1 + line.count > maxBytes {
                datagrams.append(current)
                current.removeAll(keepingCapacity: true)
            }
            if !current.isEmpty { current.append(UInt8(ascii: "\n")) }
            current.append(contentsOf: line)
        }
        if !current.isEmpty { datagrams.append(current) }
        return datagrams
    }
}

/// The pacing arithmetic of `meterctl load`. Pure, so it is unit-tested directly.
public enum Pacing {
    /// How many packets (datagrams or writes of `linesPerPacket` lines) go out per batch, so a
    /// batch leaves about every `interval` seconds at `rate` events per second. At full speed
    /// (`rate` nil) a batch is `fullSpeedPackets` packets, between two looks at the clock.
    /// Never less than one packet: at low rates batches are simply further apart.
    public static func packetsPerBatch(rate: Double?, linesPerPacket: Int, interval: Double = 0.005,
                                       fullSpeedPackets: Int = 64) -> Int {
        guard let rate else { return fullSpeedPackets }
        let packets = (rate * interval / Double(max(1, linesPerPacket))).rounded()
        return Int(min(max(packets, 1), 1_000_000))
    }

    /// Seconds to sleep after `sent` events, `elapsed` seconds after the start, to hold `rate`
    /// events per second: the time the `sent`-th event is due minus now, never negative.
    /// Because the schedule is anchored at the start, a late batch is caught up by the next ones.
    public static func delay(sent: Int, rate: Double, elapsed: Double) -> Double {
        max(0, Double(sent) / rate - elapsed)
    }

    /// Events in the next batch: `packets` packets of `linesPerPacket` lines, but never more
    /// than `remaining` (the rest of `--count`).
    public static func batchEvents(packets: Int, linesPerPacket: Int, remaining: Int) -> Int {
        min(packets * linesPerPacket, remaining)
    }
}
