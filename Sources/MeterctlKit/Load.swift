/// The sending loop of `meterctl load`, over already connected sockets.
public struct LoadRun {
    public struct Result: Sendable {
        public var events = 0
        public var packets = 0
        public var failedDatagrams = 0
        /// From the first send to the end: for streams, until meterd closed the connection
        /// after our shutdown, i.e. it has read every byte (kernel buffers do not flatter the rate).
        public var seconds = 0.0
        /// From the first send to the return of the last send or write.
        public var sendSeconds = 0.0
        public var rate: Double { seconds > 0 ? Double(events) / seconds : 0 }
    }

    public var pool: LinePool
    public var connections: [Connection]
    /// Events per second; nil for full speed.
    public var rate: Double?
    public var count: Int?
    public var duration: Double?

    public init(pool: LinePool, connections: [Connection], rate: Double?, count: Int?, duration: Double?) {
        self.pool = pool
        self.connections = connections
        self.rate = rate
        self.count = count
        self.duration = duration
    }

    /// Sends packets round-robin over the pool and the connections, in batches; sleeps between
    /// batches to hold `rate`; stops at `count` events or after `duration` seconds.
    /// A stream write error ends the run with what was sent so far and the error.
    public func run() -> (Result, SocketError?) {
        var result = Result()
        let perPacket = pool.linesPerPacket
        let packetsPerBatch = Pacing.packetsPerBatch(rate: rate, linesPerPacket: perPacket)
        let datagrams = connections[0].target.isDatagram
        var nextPacket = 0
        var nextConnection = 0
        let start = Clock.now()
        let deadline = duration.map { start + $0 }
        var failure: SocketError?
        sending: while true {
            let remaining = count.map { $0 - result.events } ?? Int.max
            if remaining <= 0 { break }
            var batch = Pacing.batchEvents(packets: packetsPerBatch, linesPerPacket: perPacket, remaining: remaining)
            while batch > 0 {
                let lines = min(batch, perPacket)
                let bytes = pool.prefix(of: nextPacket, lines: lines)
                let connection = connections[nextConnection]
                nextPacket = nextPacket + 1 == pool.packets.count ? 0 : nextPacket + 1
                nextConnection = nextConnection + 1 == connections.count ? 0 : nextConnection + 1
                if datagrams {
                    if connection.sendDatagram(bytes) { result.events += lines } else { result.failedDatagrams += 1 }
                } else {
                    do throws(SocketError) {
                        try connection.writeAll(bytes)
                    } catch {
                        failure = error
                        break sending
                    }
                    result.events += lines
                }
                result.packets += 1
                batch -= lines
            }
            let now = Clock.now()
            if let deadline, now >= deadline { break }
            if let rate {
                var pause = Pacing.delay(sent: result.events, rate: rate, elapsed: now - start)
                if let deadline { pause = min(pause, deadline - now) }
                Clock.sleep(pause)
                if let deadline, Clock.now() >= deadline { break }
            }
        }
        result.sendSeconds = Clock.now() - start
        for connection in connections { connection.finish() }
        result.seconds = Clock.now() - start
        return (result, failure)
    }
}
