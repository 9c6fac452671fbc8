import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full WAL with the real binary and a PostgreSQL the test stops: the barrier answers
/// report `wal_full` refusals (no false acknowledgement), UDP lines are counted as refused,
/// and once PostgreSQL is back the flush releases the log, new lines are accepted, and
/// PostgreSQL holds exactly the events acknowledged as accepted.
@Suite(.serialized, .enabled(if: PrivatePostgres.shouldRun, "no PostgreSQL server binaries (run scripts/install-deps.sh)"))
struct MeterdWALFullTests {
    static let tenant = "walfull"
    static let udpTenant = "walfull-udp"

    /// Events and sum of `tenant`'s counters in each rollup table.
    static func totals(_ url: String, tenant: String) throws -> [String] {
        let connection = try PostgresConnection(connectionString: url)
        return try ["usage_hourly", "usage_daily", "usage_monthly"].map { table in
            let result = try connection.execute(
                "SELECT coalesce(sum(events), 0)::text AS e, coalesce(sum(sum), 0)::text AS s FROM meterd.\(table) WHERE tenant = $1",
                parameters: [tenant])
            return "\(result[0, "e"] ?? "?")/\(result[0, "s"] ?? "?")"
        }
    }

    /// Every event is a counter of 1, so the sum equals the event count.
    static func expected(_ events: Int) -> [String] { Array(repeating: "\(events)/\(events)", count: 3) }

    static func lines(round: Int, count: Int) -> [String] {
        (0..<count).map { "walfull.m\($0 % 5):1|c|#tenant:\(tenant),round:r\(round),pad:\(String(repeating: "p", count: 40))" }
    }

    static let refusedWALFull = #"meterd_events_refused_total{transport="aggregator",reason="wal_full"}"#

    @Test func fullWALRefusesWithWALFullUntilPostgresReturns() throws {
        let postgres = try PrivatePostgres()
        defer { postgres.remove() }
        try postgres.start()
        let daemon = try DaemonProcess(arguments: ["--postgres", postgres.url], flushInterval: "0.2", unix: false,
                                       environment: TinyWAL.environment)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let fd = try TestSockets.connectTCP(port: daemon.tcpPort)
        defer { close(fd) }

        // Up: accepted, durable, committed.
        var acknowledged = 0
        let first = try #require(try SyncAnswer.exchange(fd, lines: Self.lines(round: 0, count: 100), token: "r0"))
        #expect(first.accepted == 100 && first.refused == 0 && first.durable)
        acknowledged += first.accepted
        try daemon.poll(timeout: 20, what: "first flush") { (try? Self.totals(postgres.url, tenant: Self.tenant)) == Self.expected(100) }

        // Down: rounds of 400 lines until the WAL is full and whole rounds are refused.
        try postgres.stop()
        var refused = 0
        var fullyRefusedRounds = 0
        var round = 1
        while fullyRefusedRounds < 2 {
            try #require(round < 100, "the WAL never filled")
            let answer = try #require(try SyncAnswer.exchange(fd, lines: Self.lines(round: round, count: 400), token: "r\(round)"))
            // Every line is either acknowledged as accepted or refused with wal_full, never both.
            #expect(answer.accepted + answer.refused == 400, "\(answer)")
            #expect(answer.duplicate == 0 && answer.durable, "\(answer)")
            #expect(answer.reasons == (answer.refused > 0 ? ["wal_full": answer.refused] : [:]), "\(answer)")
            acknowledged += answer.accepted
            refused += answer.refused
            if answer.accepted == 0 { fullyRefusedRounds += 1 }
            round += 1
        }
        #expect(refused >= 800)
        #expect(daemon.stderr.contains("WAL full (wal.max_bytes)"))

        // UDP while full: lines are refused (wal_full) on the shard thread, the ring keeps
        // draining. Small batches may still fit in the WAL's last bytes: send until refused.
        var udpLines = 0
        var udpRefused = 0
        while udpRefused == 0 && udpLines < 2_000 {
            for index in 0..<50 {
                try TestSockets.sendUDP(port: daemon.udpPort, datagrams: ["walfull.udp:1|c|#tenant:\(Self.udpTenant),i:i\(index % 3)"])
            }
            udpLines += 50
            try daemon.poll(timeout: 10, what: "UDP lines accounted for") {
                let received = try daemon.metric(#"meterd_events_received_total{transport="udp"}"#) ?? 0
                let accepted = try daemon.metric("meterd_events_accepted_total") ?? 0
                let walFull = try daemon.metric(Self.refusedWALFull) ?? 0
                return received == Double(udpLines) && accepted + walFull == Double(acknowledged + refused + udpLines)
            }
            udpRefused = Int(try daemon.metric(Self.refusedWALFull) ?? -1) - refused
        }
        let udpAccepted = Int(try daemon.metric("meterd_events_accepted_total") ?? -1) - acknowledged
        #expect(udpAccepted >= 0 && udpRefused > 0 && udpAccepted + udpRefused == udpLines)
        #expect(try (daemon.metric(#"meterd_ring_dropped_total{reason="ring_full"}"#) ?? 0) == 0)
        #expect(try (daemon.metric("meterd_wal_full_total") ?? 0) >= 2)
        #expect(try (daemon.metric("meterd_wal_retained_bytes") ?? 0) > Double(TinyWAL.segmentBytes))
        #expect((try? TestSockets.get(port: daemon.httpPort, "/readyz").status) == 200)

        // Back: the flush commits, segments are released, new lines are accepted again.
        try postgres.start()
        try daemon.poll(timeout: 40, what: "flush after the outage") {
            (try? Self.totals(postgres.url, tenant: Self.tenant)) == Self.expected(acknowledged)
        }
        try daemon.poll(timeout: 10, what: "segments released") {
            try (daemon.metric("meterd_wal_retained_bytes") ?? .infinity) < Double(TinyWAL.segmentBytes)
        }
        let again = try #require(try SyncAnswer.exchange(fd, lines: Self.lines(round: round, count: 400), token: "again"))
        #expect(again.accepted == 400 && again.refused == 0 && again.durable, "\(again)")
        acknowledged += again.accepted
        try daemon.poll(timeout: 20, what: "rollups in PostgreSQL") {
            (try? Self.totals(postgres.url, tenant: Self.tenant)) == Self.expected(acknowledged)
        }
        #expect(try daemon.terminate(timeout: 15) == 0)
        // At most one warning per shard (DaemonProcess runs 2) for the whole outage, one notice
        // at its end (from each shard that logs again).
        let warnings = daemon.stderr.components(separatedBy: "WAL full (wal.max_bytes)").count - 1
        let notices = daemon.stderr.components(separatedBy: "WAL has room again").count - 1
        #expect((1...2).contains(warnings) && notices >= 1 && notices <= warnings, "\(warnings) warnings, \(notices) notices")
        // Exactly the events acknowledged as accepted, none of the refused ones.
        #expect(try Self.totals(postgres.url, tenant: Self.tenant) == Self.expected(acknowledged))
        #expect(try Self.totals(postgres.url, tenant: Self.udpTenant) == Self.expected(udpAccepted))
    }
}
