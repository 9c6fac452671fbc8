import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The crash soak (docs/durability.md, "Evidence: the crash soak"): the real binary under
/// sustained TCP load with pipelined sync barriers, killed with SIGKILL at random moments
/// `killCount` times (during start-up replay, mid-load, mid-flush), restarted on the same data
/// directory and PostgreSQL each time, with every unacknowledged event retried under its id.
/// At the end the rollups in PostgreSQL must equal exactly the acknowledged events: none lost,
/// none doubled.
///
/// The seed (printed, and in every failure) fixes the kill moments and the events; set
/// `METERD_SOAK_SEED` to replay one. Thread timing still varies between runs.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct MeterdCrashSoakTests {
    static let killCount = 24
    static let connections = 2
    static let shards = "4"
    /// Short, so kills land before, during and after flushes.
    static let flushInterval = "0.25"
    /// One kill in `startUpKillShare` hits start-up (loading the persisted ids, WAL replay,
    /// before the listeners are bound): it comes a fraction (`startUpKillPercents`) of the
    /// time the previous start took to listen after the process started. (The debug binary
    /// takes from 0.3 s to several seconds on a loaded 2-core machine, more as the persisted
    /// ids and the WAL to replay grow, so a fixed delay would miss start-up on a faster machine.)
    /// The others come `loadKillDelays` ms after the first connection got through: under
    /// load, before, during or after one of up to ten flushes.
    static let startUpKillShare = 3
    static let startUpKillPercents = 5...90
    static let loadKillDelays = 0...2500
    /// Until a start was seen listening.
    static let assumedStartUpSeconds = 0.4

    enum KillMoment: CustomStringConvertible {
        case startUp(percent: Int)
        case underLoad(milliseconds: Int)

        init(using rng: inout SeededGenerator) {
            if Int.random(in: 0..<startUpKillShare, using: &rng) == 0 {
                self = .startUp(percent: Int.random(in: startUpKillPercents, using: &rng))
            } else {
                self = .underLoad(milliseconds: Int.random(in: loadKillDelays, using: &rng))
            }
        }

        var description: String {
            switch self {
            case .startUp(let percent): "at \(percent) % of the previous start-up"
            case .underLoad(let milliseconds): "\(milliseconds) ms after the first connection"
            }
        }
    }
    static let rollupTables = ["usage_hourly", "usage_daily", "usage_monthly"]

    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["METERD_SOAK_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func acknowledgedEventsSurviveRepeatedKillsExactlyOnce() throws {
        let seed = Self.seed()
        let started = Date()
        print("crash soak: seed \(seed) (replay with METERD_SOAK_SEED=\(seed))")
        let summary = try MeterdPostgresTests.withFreshDatabase { url, connect -> String in
            let data = try MeterdCrashRecoveryTests.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let ledger = SoakLedger(seed: seed, eventTime: Int(Date().timeIntervalSince1970))
            var rng = SeededGenerator(seed: seed)
            let arguments = ["--postgres", url, "--data-dir", data.path, "--shards", Self.shards]
            var kills = 0
            var startUp = Self.assumedStartUpSeconds
            for lifetime in 0...Self.killCount {
                let final = lifetime == Self.killCount
                let moment = KillMoment(using: &rng)
                startUp = try Self.runLifetime(lifetime, final: final, kill: moment, previousStartUp: startUp,
                                               arguments: arguments, ledger: ledger) ?? startUp
                guard ledger.problems.isEmpty else { break }
                if !final { kills += 1 }
            }
            let statistics = ledger.statistics
            let summary = "\(kills) kills; " + statistics.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            guard ledger.problems.isEmpty else {
                Issue.record("\(ledger.problems.prefix(20).joined(separator: "\n"))")
                return summary
            }
            #expect(ledger.pendingRetryCount == 0, "seed \(seed)")
            // The soak proves little if the kills all landed in one place: it must have killed
            // during start-up and under load, and restarted after flushes had committed (ids
            // loaded from PostgreSQL, a replay from a committed checkpoint).
            for moment in ["kills during start-up", "kills under load", "starts that loaded persisted ids", "replays after a committed checkpoint"] {
                #expect(statistics[moment, default: 0] > 0, "seed \(seed): no \(moment) (\(summary))")
            }
            try Self.checkRollups(try connect(), ledger: ledger)
            #expect(ledger.problems.isEmpty, "\(ledger.problems.prefix(20).joined(separator: "\n"))")
            return summary
        }
        print("crash soak: seed \(seed), \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \(summary)")
    }

    /// Starts meterd, runs the connections against it, then SIGKILLs it at `moment` (or, for
    /// the last lifetime, waits until every retry is answered and stops it with SIGTERM). Any
    /// other death of meterd is a problem. Returns how long meterd took to listen (nil if it
    /// was killed first).
    static func runLifetime(_ lifetime: Int, final: Bool, kill moment: KillMoment, previousStartUp: Double,
                            arguments: [String], ledger: SoakLedger) throws -> Double? {
        let start = Date()
        let daemon = try DaemonProcess(arguments: arguments, flushInterval: flushInterval, unix: false)
        defer { daemon.stop() }
        let stopSignal = SoakStopSignal()
        let group = DispatchGroup()
        for index in 0..<connections {
            let connection = SoakConnection(port: daemon.tcpPort, name: "l\(lifetime)c\(index)", ledger: ledger,
                                            stopSignal: stopSignal, final: final)
            DispatchQueue.global().async(group: group) { connection.run() }
        }
        if final {
            let answered = group.wait(timeout: .now() + 120) == .success
            stopSignal.stop()
            if !answered { ledger.problem("last lifetime: connections did not finish") }
            let status = try daemon.terminate(timeout: 30)
            if status != 0 { ledger.problem("meterd exited \(status) after SIGTERM: \(daemon.stderr.suffix(2000))") }
            print("crash soak: lifetime \(lifetime): retries, a probe, SIGTERM\(startUpSummary(daemon.stderr, ledger: ledger))")
        } else {
            switch moment {
            case .startUp(let percent):
                sleep(until: start.addingTimeInterval(previousStartUp * Double(percent) / 100))
            case .underLoad(let milliseconds):
                let deadline = Date().addingTimeInterval(60)
                while stopSignal.firstConnection == nil && daemon.process.isRunning && Date() < deadline { usleep(2_000) }
                if let connected = stopSignal.firstConnection {
                    sleep(until: connected.addingTimeInterval(Double(milliseconds) / 1000))
                } else if daemon.process.isRunning {
                    ledger.problem("lifetime \(lifetime): meterd did not listen within 60 s: \(daemon.stderr.suffix(2000))")
                }
            }
            guard daemon.process.isRunning else {
                stopSignal.stop()
                group.wait()
                ledger.problem("lifetime \(lifetime): meterd exited on its own (\(daemon.process.terminationReason), \(daemon.process.terminationStatus)) before the kill \(moment): \(daemon.stderr.suffix(2000))")
                return nil
            }
            kill(daemon.process.processIdentifier, SIGKILL)
            daemon.process.waitUntilExit()
            stopSignal.stop()
            group.wait()
            let listening = stopSignal.firstConnection.map { String(format: "%.0f ms", $0.timeIntervalSince(start) * 1000) } ?? "never"
            print("crash soak: lifetime \(lifetime): kill \(moment), listening after \(listening)\(startUpSummary(daemon.stderr, ledger: ledger))")
            ledger.count(stopSignal.firstConnection == nil ? "kills during start-up" : "kills under load")
            if daemon.process.terminationReason != .uncaughtSignal || daemon.process.terminationStatus != SIGKILL {
                ledger.problem("lifetime \(lifetime): meterd ended with \(daemon.process.terminationReason) \(daemon.process.terminationStatus), not our SIGKILL: \(daemon.stderr.suffix(2000))")
            }
        }
        if daemon.stderr.contains("critical") {
            ledger.problem("lifetime \(lifetime): meterd logged a critical line: \(daemon.stderr.suffix(2000))")
        }
        return stopSignal.firstConnection.map { $0.timeIntervalSince(start) }
    }

    /// What the start-up logged (persisted ids loaded, WAL entries replayed and from which
    /// checkpoint), counted in the ledger's statistics and returned for the lifetime's line.
    static func startUpSummary(_ stderr: String, ledger: SoakLedger) -> String {
        func value(_ key: String) -> String? {
            guard let range = stderr.range(of: " \(key)=") else { return nil }
            return String(stderr[range.upperBound...].prefix { $0 != " " && $0 != "\n" })
        }
        var summary = ""
        if let loaded = value("dedup.loaded").flatMap(Int.init), loaded > 0 {
            ledger.count("starts that loaded persisted ids")
            summary += ", \(loaded) persisted ids loaded in \(value("dedup.load_seconds")?.prefix(5) ?? "?") s"
        }
        if let events = value("replay.events") {
            let checkpoint = value("replay.checkpoint") ?? ""
            ledger.count(checkpoint.isEmpty ? "replays of the whole log" : "replays after a committed checkpoint")
            summary += ", replayed \(events) events after checkpoint [\(checkpoint)]"
        }
        return summary
    }

    static func sleep(until moment: Date) {
        let remaining = moment.timeIntervalSinceNow
        if remaining > 0 { usleep(UInt32(remaining * 1_000_000)) }
    }

    /// Every grain, per tenant and metric: exactly the acknowledged id-carrying events (sum, or
    /// distinct members for the set, and event count); for the id-less metric, between what
    /// was acknowledged and what was sent. (Equality cannot be required there: an id-less event
    /// whose barrier was not answered before a kill may or may not have reached the WAL, and
    /// without an id a resend cannot be told from a new event, so the soak does not resend it.)
    static func checkRollups(_ database: PostgresConnection, ledger: SoakLedger) throws {
        let expected = ledger.expectations()
        let noID = ledger.noIDBounds()
        for table in rollupTables {
            let result = try database.execute(
                "SELECT tenant, metric, sum(quantity)::text AS q, sum(events)::text AS e, count(DISTINCT bucket)::text AS b FROM meterd.\(table) GROUP BY tenant, metric")
            var found: [String: SoakLedger.Expectation] = [:]
            for row in 0..<result.rows.count {
                let key = "\(result[row, "tenant"] ?? "?") \(result[row, "metric"] ?? "?")"
                found[key] = SoakLedger.Expectation(quantity: Decimal(string: result[row, "q"] ?? "") ?? -1,
                                                    events: Int(result[row, "e"] ?? "") ?? -1)
                #expect(result[row, "b"] == "1", "seed \(ledger.seed): \(table) \(key): events of one second in several buckets")
            }
            for (key, expectation) in expected {
                #expect(found[key] == expectation, "seed \(ledger.seed): \(table) \(key): PostgreSQL \(found[key].map(\.description) ?? "nothing"), acknowledged \(expectation)")
            }
            for (tenant, bounds) in noID {
                let key = "\(tenant) \(SoakLedger.Metric.noID.rawValue)"
                let stored = found[key] ?? SoakLedger.Expectation(quantity: 0, events: 0)
                #expect(bounds.acked.quantity <= stored.quantity && stored.quantity <= bounds.sent.quantity
                        && bounds.acked.events <= stored.events && stored.events <= bounds.sent.events,
                        "seed \(ledger.seed): \(table) \(key): PostgreSQL \(stored), acknowledged \(bounds.acked), sent \(bounds.sent)")
            }
            let unexpected = Set(found.keys).subtracting(expected.keys).subtracting(noID.keys.map { "\($0) \(SoakLedger.Metric.noID.rawValue)" })
            #expect(unexpected.isEmpty, "seed \(ledger.seed): \(table) has rows nobody sent: \(unexpected)")
        }
    }
}
