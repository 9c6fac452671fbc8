#if canImport(Glibc)
import Glibc
#endif

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
        /// With `syncEvery`: barriers sent and answered, the events the answers counted as
        /// accepted, and each barrier's latency (write of the barrier to its answer read).
        public var barriers = 0
        public var answered = 0
        public var acknowledged = 0
        public var barrierSeconds: [Double] = []
        public var acknowledgedRate: Double { seconds > 0 ? Double(acknowledged) / seconds : 0 }

        /// The `fraction` quantile of the barrier latencies (nearest rank).
        public func barrierQuantile(_ fraction: Double) -> Double {
            guard !barrierSeconds.isEmpty else { return 0 }
            let sorted = barrierSeconds.sorted()
            let rank = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
            return sorted[rank]
        }
    }

    /// One stream's barriers in flight (`syncEvery`).
    final class SyncState {
        var since = 0
        var sequence = 0
        var sentAt: [Double] = []
        var answered = 0
        var received: [UInt8] = []
        /// The receive buffer, allocated once: answers are read after every write.
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    }

    /// Streams only: send `#sync <n>` after a write once this many lines were written since
    /// the previous barrier, read the answers as they come, and end with a barrier on every
    /// connection, waiting (up to 60 s) for all answers; `seconds` then ends at the last answer.
    public var syncEvery: Int? = nil

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
        let syncStates = connections.map { _ in SyncState() }
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
                        if let syncEvery {
                            let state = syncStates[nextConnection == 0 ? connections.count - 1 : nextConnection - 1]
                            state.since += lines
                            if state.since >= syncEvery { try sendBarrier(connection, state, &result) }
                            readAnswers(connection, state, &result, wait: false)
                        }
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
                if syncEvery != nil && !datagrams {
                    // Read answers while pacing, so barrier latency is not rounded up to the batch period.
                    let end = Clock.now() + pause
                    while Clock.now() < end {
                        for (connection, state) in zip(connections, syncStates) {
                            readAnswers(connection, state, &result, wait: false)
                        }
                        Clock.sleep(min(0.0005, end - Clock.now()))
                    }
                } else {
                    Clock.sleep(pause)
                }
                if let deadline, Clock.now() >= deadline { break }
            }
        }
        result.sendSeconds = Clock.now() - start
        if syncEvery != nil, !datagrams, failure == nil {
            for (connection, state) in zip(connections, syncStates) where state.since > 0 {
                do throws(SocketError) { try sendBarrier(connection, state, &result) } catch { failure = error }
            }
            let deadline = Clock.now() + 60
            for (connection, state) in zip(connections, syncStates) {
                while state.answered < state.sentAt.count && Clock.now() < deadline {
                    readAnswers(connection, state, &result, wait: true)
                }
            }
            result.seconds = Clock.now() - start
            for connection in connections { connection.finish() }
            return (result, failure)
        }
        for connection in connections { connection.finish() }
        result.seconds = Clock.now() - start
        return (result, failure)
    }

    private func sendBarrier(_ connection: Connection, _ state: SyncState, _ result: inout Result) throws(SocketError) {
        state.sequence += 1
        state.since = 0
        state.sentAt.append(Clock.now())
        result.barriers += 1
        try connection.writeAll(Array("#sync b\(state.sequence)\n".utf8)[...])
    }

    /// Reads what answers are there (or waits up to 100 ms for some when `wait`).
    private func readAnswers(_ connection: Connection, _ state: SyncState, _ result: inout Result, wait: Bool) {
        while true {
            if wait {
                var pollFD = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pollFD, 1, 100) > 0 else { return }
            }
            let count = state.chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count <= 0 { return }
            state.received += state.chunk[..<count]
            let now = Clock.now()
            var lineStart = 0
            while let newline = state.received[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = state.received[lineStart..<newline]
                lineStart = newline + 1
                guard line.starts(with: Self.answerPrefix), state.answered < state.sentAt.count else { continue }
                result.barrierSeconds.append(now - state.sentAt[state.answered])
                state.answered += 1
                result.answered += 1
                result.acknowledged += Self.acceptedCount(in: line)
            }
            state.received.removeFirst(lineStart)
            if wait { return }
        }
    }

    static let answerPrefix = Array("#synced ".utf8)
    static let acceptedField = Array(" accepted=".utf8)

    /// The number after ` accepted=` in an answer line (0 when absent).
    static func acceptedCount(in line: ArraySlice<UInt8>) -> Int {
        var index = line.startIndex
        while index + acceptedField.count <= line.endIndex {
            if line[index..<(index + acceptedField.count)].elementsEqual(acceptedField) {
                var value = 0
                var digit = index + acceptedField.count
                while digit < line.endIndex, line[digit] >= UInt8(ascii: "0"), line[digit] <= UInt8(ascii: "9") {
                    value = value * 10 + Int(line[digit] - UInt8(ascii: "0"))
                    digit += 1
                }
                return value
            }
            index += 1
        }
        return 0
    }
}
