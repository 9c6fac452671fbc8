import ArgumentParser
import MeterCore
import MeterctlKit

#if canImport(Glibc)
import Glibc
#endif

@main
struct Meterctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meterctl",
        abstract: "Send usage events to meterd, or load-test it; query usage and entitlements; check a plans file; manage subscriptions; bill tenants and manage invoices.",
        subcommands: [Send.self, Load.self, Usage.self, Check.self, HTTPLatencyCommand.self, Plans.self, SubscriptionCommand.self, Billing.self,
                      InvoiceCommand.self]
    )
}

/// The target flags shared by both commands.
struct TargetOptions: ParsableArguments {
    @Option(name: .customLong("udp"), help: "Send datagrams to HOST:PORT.")
    var udp: String?
    @Option(name: .customLong("tcp"), help: "Send over a TCP connection to HOST:PORT.")
    var tcp: String?
    @Option(name: .customLong("unix"), help: "Send over the Unix stream socket at PATH.")
    var unix: String?

    /// The one target given, or `fallback` when none is (never a non-loopback default).
    func target(fallback: Target?) throws -> Target {
        let given = [udp, tcp, unix].compactMap(\.self)
        guard given.count <= 1 else { throw ValidationError("give only one of --udp, --tcp, --unix") }
        do {
            if let udp { let (host, port) = try Target.hostPort(udp); return .udp(host: host, port: port) }
            if let tcp { let (host, port) = try Target.hostPort(tcp); return .tcp(host: host, port: port) }
        } catch {
            throw ValidationError("\(udp != nil ? "--udp" : "--tcp"): \(error)")
        }
        if let unix { return .unix(path: unix) }
        guard let fallback else { throw ValidationError("give a target: --udp HOST:PORT, --tcp HOST:PORT or --unix PATH") }
        return fallback
    }
}

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send lines given as arguments, or read from stdin, to meterd.",
        discussion: """
            Without a target flag, sends to UDP 127.0.0.1:8125. Over UDP, lines are packed into \
            datagrams of at most --max-datagram-bytes without splitting a line. Empty lines are \
            skipped. With --check, each line is first parsed with meterd's own parser; refused \
            lines are printed to stderr with their reason and not sent, and the exit code is 1.
            """
    )

    @OptionGroup var target: TargetOptions

    @Option(help: "Largest UDP datagram in bytes (lines are never split).")
    var maxDatagramBytes = 1432

    @Flag(help: "Parse every line locally first; print and skip the refused ones.")
    var check = false

    @Flag(help: "TCP/Unix only: send a sync barrier after the lines and print meterd's answer (accepted, duplicate and refused counts once they are durable).")
    var sync = false

    @Option(help: "The token of the --sync barrier (1-64 of [A-Za-z0-9_.:-]).")
    var syncToken = "meterctl"

    @Option(help: "Seconds to wait for the --sync answer.")
    var syncTimeout = 30.0

    @Option(help: "POST the lines as JSON events to http://HOST:PORT/v1/events and print meterd's answer (each event's outcome once the events are durable). Lines meterd's parser refuses are reported and not sent.")
    var http: String?

    @Option(help: "With --http: the API's bearer token (http_auth.tokens); default: the METERCTL_TOKEN environment variable.")
    var token: String?

    @Argument(help: "The lines to send; stdin lines when none are given.")
    var lines: [String] = []

    func validate() throws {
        guard (16 ... DatagramPacking.maxUDPPayload).contains(maxDatagramBytes) else {
            throw ValidationError("--max-datagram-bytes must be between 16 and \(DatagramPacking.maxUDPPayload)")
        }
        if http != nil && (target.udp != nil || target.tcp != nil || target.unix != nil || sync) {
            throw ValidationError("--http takes no other target and no --sync (its answer is the acknowledgement)")
        }
        if http == nil, sync, try target.target(fallback: .udp(host: "127.0.0.1", port: 8125)).isDatagram {
            throw ValidationError("--sync needs a stream target: --tcp HOST:PORT or --unix PATH")
        }
    }

    func run() throws {
        var input: [String] = lines
        if input.isEmpty {
            while let line = readLine(strippingNewline: true) { input.append(line) }
        }
        if let http { return try sendHTTP(input, url: http) }
        let target = try target.target(fallback: .udp(host: "127.0.0.1", port: 8125))
        var accepted: [[UInt8]] = []
        var refused = 0
        var checker = LineCheck()
        let now = Int64(time(nil))
        for line in input where !line.isEmpty {
            let bytes = Array(line.utf8)
            if check, let reason = checker.refusal(bytes, now: now) {
                refused += 1
                printError("refused [\(reason.label)] \(reason.explanation): \(line)")
                continue
            }
            accepted.append(bytes)
        }
        let connection = try Connection(target)
        var summary: String
        if target.isDatagram {
            let datagrams = DatagramPacking.pack(accepted, maxBytes: maxDatagramBytes)
            var failed = 0
            for datagram in datagrams where !connection.sendDatagram(datagram[...]) {
                failed += 1
                printError("datagram of \(datagram.count) bytes not sent: \(String(cString: strerror(errno)))")
            }
            if failed > 0 { throw ExitCode(1) }
            summary = "sent \(accepted.count) lines in \(datagrams.count) datagrams to \(target)"
        } else {
            var stream: [UInt8] = []
            for line in accepted { stream += line; stream.append(UInt8(ascii: "\n")) }
            if sync { stream += Array("#sync \(syncToken)\n".utf8) }
            try connection.writeAll(stream[...])
            if sync {
                guard let answer = connection.readLine(startingWith: ["#synced ", "#error"], timeout: syncTimeout) else {
                    printError("no answer to the sync barrier within \(syncTimeout) s")
                    throw ExitCode(1)
                }
                print(answer)
                if answer.hasPrefix("#error") { throw ExitCode(1) }
            }
            connection.finish()
            summary = "sent \(accepted.count) lines (\(stream.count) bytes) to \(target)"
        }
        if check { summary += ", \(refused) refused locally" }
        print(summary)
        if refused > 0 { throw ExitCode(1) }
    }
}

extension Send {
    /// `--http`: every line parsed locally (refused ones reported, not sent), the rest POSTed
    /// as NDJSON; prints meterd's JSON answer. Exit 1 when any line was refused, here or there.
    func sendHTTP(_ input: [String], url: String) throws {
        let (host, port) = try HTTPEvents.hostPort(url)
        let parser = LineParser(limits: ProtocolLimits())
        var parsed = parser.makeParsedLine()
        let now = Int64(time(nil))
        var body: [UInt8] = []
        var events = 0
        var refused = 0
        for line in input where !line.isEmpty {
            let bytes = Array(line.utf8)
            if let reason = bytes.withUnsafeBytes({ parser.parse($0, now: now, into: &parsed) }) {
                refused += 1
                printError("refused [\(reason.label)] \(reason.explanation): \(line)")
                continue
            }
            body += Array(HTTPEvents.event(bytes, parsed, now: now).utf8)
            body.append(UInt8(ascii: "\n"))
            events += 1
        }
        let connection = try Connection(.tcp(host: host, port: port))
        let token = token ?? getenv(HTTPEvents.tokenEnvironmentName).map { String(cString: $0) }
        try connection.writeAll(HTTPEvents.request(host: host, port: port, body: body, token: token)[...])
        guard let (status, answer) = HTTPEvents.response(connection, timeout: 60) else {
            printError("no HTTP answer from \(host):\(port) within 60 s")
            throw ExitCode(1)
        }
        print(answer, terminator: answer.hasSuffix("\n") ? "" : "\n")
        print("sent \(events) events over HTTP: status \(status)" + (refused > 0 ? ", \(refused) refused locally" : ""))
        if status != 200 || refused > 0 || answer.contains("\"status\":\"refused\"") { throw ExitCode(1) }
    }
}

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A bounded load generator: counters for many tenants at a target rate or full speed.",
        discussion: """
            Pre-generates lines `metric-<m>:<value>|c|#tenant:t<k>` from --seed and sends them \
            round-robin until --count events or --duration seconds (whichever comes first). \
            The last output line is machine-readable: `sent=<n> seconds=<s> rate=<r>`.
            """
    )

    static let maxCount = 1_000_000_000
    static let maxDuration = 3_600.0

    @OptionGroup var target: TargetOptions

    @Option(help: "Events per second (omit for full speed).")
    var rate: Double?
    @Option(help: "Stop after this many seconds (at most 3600).")
    var duration: Double?
    @Option(help: "Stop after this many events (at most 1e9).")
    var count: Int?
    @Option(help: "Distinct tenants t0 ... t<N-1>.")
    var tenants = 10_000
    @Option(help: "Distinct metrics metric-0 ... metric-<N-1>.")
    var metrics = 10
    @Option(help: "Lines per UDP datagram.")
    var linesPerDatagram = 40
    @Option(help: "Lines per write on TCP and Unix streams.")
    var linesPerWrite = 1_000
    @Option(help: "Connections (sockets) used round-robin.")
    var connections = 1
    @Option(help: "Seed of the line generator (same seed, same lines).")
    var seed: UInt64 = 1
    @Option(help: "The counter value of every line (an exact decimal).")
    var value = "1"
    @Option(help: "TCP/Unix: send a sync barrier after a write once this many lines were written since the previous one; report acknowledged events/s and barrier latency.")
    var syncEvery: Int?

    func validate() throws {
        guard count != nil || duration != nil else { throw ValidationError("give --count N or --duration SECONDS (or both)") }
        if let count, !(1 ... Self.maxCount).contains(count) { throw ValidationError("--count must be between 1 and \(Self.maxCount)") }
        if let duration, !(duration > 0 && duration <= Self.maxDuration) {
            throw ValidationError("--duration must be more than 0 and at most \(Int(Self.maxDuration)) seconds")
        }
        if let rate, !(rate > 0 && rate <= 1e9) { throw ValidationError("--rate must be more than 0 and at most 1e9 events per second") }
        guard (1 ... 100_000_000).contains(tenants) else { throw ValidationError("--tenants must be between 1 and 100000000") }
        guard (1 ... 1_000_000).contains(metrics) else { throw ValidationError("--metrics must be between 1 and 1000000") }
        guard (1 ... 1_000).contains(linesPerDatagram) else { throw ValidationError("--lines-per-datagram must be between 1 and 1000") }
        guard (1 ... 100_000).contains(linesPerWrite) else { throw ValidationError("--lines-per-write must be between 1 and 100000") }
        guard (1 ... 64).contains(connections) else { throw ValidationError("--connections must be between 1 and 64") }
        if let syncEvery, syncEvery < 1 { throw ValidationError("--sync-every must be at least 1") }
        var checker = LineCheck()
        let sample = LinePool.line(metric: UInt64(metrics - 1), tenant: UInt64(tenants - 1), value: value)
        if let reason = checker.refusal(Array(sample.utf8), now: Int64(time(nil))) {
            throw ValidationError("meterd would refuse '\(sample)': [\(reason.label)] \(reason.explanation)")
        }
    }

    func run() throws {
        let target = try target.target(fallback: nil)
        let perPacket = target.isDatagram ? linesPerDatagram : linesPerWrite
        let pool = LinePool(seed: seed, tenants: tenants, metrics: metrics, value: value, linesPerPacket: perPacket,
                            packetCount: LinePool.packetCount(events: count, linesPerPacket: perPacket),
                            datagrams: target.isDatagram)
        if target.isDatagram, let largest = pool.packets.map(\.count).max(), largest > DatagramPacking.maxUDPPayload {
            throw ValidationError("a datagram of \(linesPerDatagram) lines is \(largest) bytes, over the UDP limit; lower --lines-per-datagram")
        }
        let sockets = try (0 ..< connections).map { _ in try Connection(target) }
        if syncEvery != nil && target.isDatagram { throw ValidationError("--sync-every needs a stream target: --tcp or --unix") }
        var load = LoadRun(pool: pool, connections: sockets, rate: rate, count: count, duration: duration)
        load.syncEvery = syncEvery
        let (result, failure) = load.run()
        let unit = target.isDatagram ? "datagrams" : "writes"
        print("target: \(target), \(connections) connection\(connections == 1 ? "" : "s"), \(perPacket) lines per \(unit.dropLast())")
        print("events sent: \(result.events)")
        print("\(unit): \(result.packets)\(result.failedDatagrams > 0 ? " (\(result.failedDatagrams) refused by the kernel, their events not counted as sent)" : "")")
        if target.isDatagram {
            print("elapsed: \(format(result.seconds, 6)) s")
        } else {
            print("elapsed: \(format(result.seconds, 6)) s (writes done after \(format(result.sendSeconds, 6)) s, then meterd read the rest and closed)")
        }
        print("events/s: \(format(result.rate, 0))")
        if syncEvery != nil {
            print("barriers: \(result.barriers) sent, \(result.answered) answered; acknowledged events: \(result.acknowledged) (\(format(result.acknowledgedRate, 0))/s)")
            print("barrier latency: p50 \(format(result.barrierQuantile(0.5) * 1000, 3)) ms, p99 \(format(result.barrierQuantile(0.99) * 1000, 3)) ms, max \(format(result.barrierQuantile(1) * 1000, 3)) ms")
        }
        if let failure { printError("stopped early: \(failure)") }
        print("sent=\(result.events) seconds=\(format(result.seconds, 6)) rate=\(format(result.rate, 0))")
        if failure != nil { throw ExitCode(1) }
    }
}

/// `value` with exactly `decimals` fractional digits, never in exponent form.
func format(_ value: Double, _ decimals: Int) -> String {
    var scale: Int64 = 1
    for _ in 0 ..< decimals { scale *= 10 }
    let scaled = Int64((value * Double(scale)).rounded())
    guard decimals > 0 else { return String(scaled) }
    let fraction = String(scaled % scale)
    return "\(scaled / scale).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}
