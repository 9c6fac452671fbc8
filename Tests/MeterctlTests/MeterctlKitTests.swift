import MeterCore
import MeterctlKit
import Testing

@Suite struct DatagramPackingTests {
    func bytes(_ lines: [String]) -> [[UInt8]] { lines.map { Array($0.utf8) } }
    func text(_ datagrams: [[UInt8]]) -> [String] { datagrams.map { String(decoding: $0, as: UTF8.self) } }

    @Test func packsLinesInOrderWithoutSplittingAndWithinTheLimit() {
        // 10-byte lines: two fit in 21 bytes (10 + 1 + 10), a third would need 32.
        let lines = (0 ..< 5).map { "line-\($0):1|c" }.map { String($0.prefix(10)) }
        let datagrams = DatagramPacking.pack(bytes(lines), maxBytes: 21)
        #expect(text(datagrams) == ["\(lines[0])\n\(lines[1])", "\(lines[2])\n\(lines[3])", lines[4]])
        #expect(datagrams.allSatisfy { $0.count <= 21 })
        // One byte less: one line per datagram.
        #expect(DatagramPacking.pack(bytes(lines), maxBytes: 20).count == 5)
    }

    @Test func exactFitEmptyLinesAndOversizeLines() {
        #expect(text(DatagramPacking.pack(bytes(["abc", "", "de"]), maxBytes: 6)) == ["abc\nde"])
        #expect(DatagramPacking.pack([], maxBytes: 100).isEmpty)
        // A line longer than the limit goes alone, whole, and packing resumes after it.
        let long = String(repeating: "x", count: 30)
        #expect(text(DatagramPacking.pack(bytes(["a", long, "b", "c"]), maxBytes: 10)) == ["a", long, "b\nc"])
    }

    @Test func manyRealLinesFitTheDefault1432Bytes() {
        let lines = (0 ..< 1_000).map { "ai.tokens:\($0)|c|#tenant:acme,model:m\($0 % 7)" }
        let datagrams = DatagramPacking.pack(bytes(lines), maxBytes: 1_432)
        #expect(datagrams.allSatisfy { $0.count <= 1_432 })
        let unpacked = datagrams.flatMap { $0.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) } }
        #expect(unpacked == lines)
        // Packed densely: every datagram but the last could not take the next line.
        #expect(datagrams.count == Int((Double(lines.reduce(0) { $0 + $1.utf8.count + 1 }) / 1_433).rounded(.up)))
    }
}

@Suite struct PacingTests {
    @Test func delayHoldsTheRateAnchoredAtTheStart() {
        // 10 000 events/s: 500 events are due at 0.05 s.
        #expect(abs(Pacing.delay(sent: 500, rate: 10_000, elapsed: 0.01) - 0.04) < 1e-12)
        #expect(Pacing.delay(sent: 500, rate: 10_000, elapsed: 0.05) == 0)
        // Behind schedule: no sleep, the next batches catch up.
        #expect(Pacing.delay(sent: 500, rate: 10_000, elapsed: 0.2) == 0)
        #expect(Pacing.delay(sent: 0, rate: 1, elapsed: 0) == 0)
    }

    @Test func batchesAreAboutFiveMillisecondsOfWholePackets() {
        // 1e6 events/s, 40 lines per datagram: 5000 events per 5 ms = 125 datagrams.
        #expect(Pacing.packetsPerBatch(rate: 1_000_000, linesPerPacket: 40) == 125)
        // Low rates: never less than one packet (batches are then further apart).
        #expect(Pacing.packetsPerBatch(rate: 100, linesPerPacket: 40) == 1)
        #expect(Pacing.packetsPerBatch(rate: nil, linesPerPacket: 40) == 64)
        #expect(Pacing.packetsPerBatch(rate: 1e9, linesPerPacket: 1) == 1_000_000)
        // The last batch stops at the count.
        #expect(Pacing.batchEvents(packets: 125, linesPerPacket: 40, remaining: 1_234) == 1_234)
        #expect(Pacing.batchEvents(packets: 2, linesPerPacket: 40, remaining: 1_234) == 80)
    }

    @Test func simulatedRunSendsAtTheTargetRate() {
        // Run the loop's arithmetic against a simulated clock where sending costs nothing:
        // 20 000 events/s for 50 000 events must take 2.5 s of sleeping.
        let rate = 20_000.0, count = 50_000, perPacket = 40
        let packets = Pacing.packetsPerBatch(rate: rate, linesPerPacket: perPacket)
        var sent = 0, clock = 0.0, batches = 0
        while sent < count {
            sent += Pacing.batchEvents(packets: packets, linesPerPacket: perPacket, remaining: count - sent)
            batches += 1
            clock += Pacing.delay(sent: sent, rate: rate, elapsed: clock)
        }
        #expect(sent == count)
        #expect(abs(clock - 2.5) < 1e-9)
        // 5 ms at 20 000 events/s is 100 events = 2.5 datagrams of 40, rounded to 3: 120 events per batch.
        #expect(batches == (count + 119) / 120)
    }
}

@Suite struct LinePoolTests {
    @Test func sameSeedSameLinesAndEveryLineIsAccepted() {
        let a = LinePool(seed: 7, tenants: 100, metrics: 10, value: "1", linesPerPacket: 40, packetCount: 8, datagrams: true)
        let b = LinePool(seed: 7, tenants: 100, metrics: 10, value: "1", linesPerPacket: 40, packetCount: 8, datagrams: true)
        let c = LinePool(seed: 8, tenants: 100, metrics: 10, value: "1", linesPerPacket: 40, packetCount: 8, datagrams: true)
        #expect(a.packets == b.packets)
        #expect(a.packets != c.packets)
        var check = LineCheck()
        for packet in a.packets {
            #expect(packet.last != UInt8(ascii: "\n")) // datagrams: no final terminator
            let lines = packet.split(separator: UInt8(ascii: "\n"))
            #expect(lines.count == 40)
            for line in lines { #expect(check.refusal(Array(line), now: 1_700_000_000) == nil) }
        }
        let first = String(decoding: a.packets[0].split(separator: UInt8(ascii: "\n"))[0], as: UTF8.self)
        #expect(first.wholeMatch(of: /metric-\d:1\|c\|#tenant:t\d{1,2}/) != nil)
    }

    @Test func streamPacketsEndEveryLineAndPrefixesCutAtLineEnds() {
        let pool = LinePool(seed: 1, tenants: 5, metrics: 3, value: "0.5", linesPerPacket: 10, packetCount: 2, datagrams: false)
        #expect(pool.packets.allSatisfy { $0.filter { $0 == UInt8(ascii: "\n") }.count == 10 && $0.last == UInt8(ascii: "\n") })
        let three = pool.prefix(of: 1, lines: 3)
        #expect(three.filter { $0 == UInt8(ascii: "\n") }.count == 3 && three.last == UInt8(ascii: "\n"))
        #expect(LinePool.packetCount(events: 50_000, linesPerPacket: 1_000) == 50)
        #expect(LinePool.packetCount(events: 1, linesPerPacket: 40) == 1)
        #expect(LinePool.packetCount(events: nil, linesPerPacket: 40) == 1_024)
    }

    @Test func checkReportsMeterdsReason() {
        var check = LineCheck()
        #expect(check.refusal(Array("api.calls:-1|c|#tenant:acme".utf8), now: 1_700_000_000) == .negativeCounter)
        #expect(check.refusal(Array("api.calls:1|c".utf8), now: 1_700_000_000) == .missingTenant)
    }

    @Test func hostPortParsing() throws {
        #expect(try Target.hostPort("127.0.0.1:8125") == ("127.0.0.1", 8125))
        #expect(try Target.hostPort("[::1]:9") == ("::1", 9))
        #expect(try Target.hostPort("localhost:8126") == ("localhost", 8126))
        #expect(throws: SocketError.self) { try Target.hostPort("nope") }
        #expect(throws: SocketError.self) { try Target.hostPort("127.0.0.1:0") }
        #expect(throws: SocketError.self) { try Target.hostPort(":80") }
    }
}
