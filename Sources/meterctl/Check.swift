import ArgumentParser
import MeterctlKit

/// `meterctl check TENANT METRIC`: the entitlement check over the stream protocol's `#check`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask meterd whether a tenant may still use a metric (used, limit, remaining, allowed).",
        discussion: """
            Sends `#check TENANT METRIC` over TCP (default 127.0.0.1:8126) or a Unix socket and \
            prints meterd's answer as a table (--raw: the `#checked` line as sent). Exit code: 0 when \
            allowed, 1 when not, 2 when meterd could not say (no answer, an error, usage still being read).
            """
    )

    @Option(name: .customLong("tcp"), help: "meterd's TCP listener, HOST:PORT.")
    var tcp: String?
    @Option(name: .customLong("unix"), help: "meterd's Unix stream socket.")
    var unix: String?
    @Flag(help: "Print the answer line as meterd sent it.")
    var raw = false
    @Option(help: "Seconds to wait for the answer.")
    var timeout = 10.0
    @Option(name: .customLong("repeat"), help: "Ask this many times in a row on one connection and print the round-trip latency (p50, p99, max) instead of the answer (a benchmark client).")
    var repetitions: Int?

    @Argument(help: "The tenant.")
    var tenant: String
    @Argument(help: "The metric.")
    var metric: String

    /// `times` checks one after the other; prints `checks=N p50_ms=... p99_ms=... max_ms=...`.
    private func measure(_ connection: Connection, times: Int) throws {
        let request = Array("#check \(tenant) \(metric)\n".utf8)[...]
        var latencies: [Double] = []
        latencies.reserveCapacity(times)
        for _ in 0..<times {
            let start = Clock.now()
            try connection.writeAll(request)
            guard connection.readLine(startingWith: ["#checked", "#error"], timeout: timeout) != nil else {
                printError("no answer from \(connection.target) within \(timeout) s")
                throw ExitCode(2)
            }
            latencies.append((Clock.now() - start) * 1000)
        }
        latencies.sort()
        func percentile(_ p: Double) -> String {
            let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            return String(Double(Int((value * 1000).rounded())) / 1000)  // microsecond resolution
        }
        print("checks=\(times) p50_ms=\(percentile(0.5)) p99_ms=\(percentile(0.99)) max_ms=\(percentile(1))")
    }

    func validate() throws {
        if let repetitions, !(1...10_000_000).contains(repetitions) { throw ValidationError("--repeat must be between 1 and 10000000") }
        for (name, value) in [("tenant", tenant), ("metric", metric)] where value.isEmpty || value.contains(where: \.isWhitespace) {
            throw ValidationError("the \(name) must be one word, got '\(value)'")
        }
    }

    func run() throws {
        guard tcp == nil || unix == nil else { throw ValidationError("give only one of --tcp, --unix") }
        let target: Target
        if let unix {
            target = .unix(path: unix)
        } else {
            do {
                let (host, port) = try Target.hostPort(tcp ?? "127.0.0.1:8126")
                target = .tcp(host: host, port: port)
            } catch {
                throw ValidationError("--tcp: \(error)")
            }
        }
        let connection = try Connection(target)
        if let repetitions { return try measure(connection, times: repetitions) }
        try connection.writeAll(Array("#check \(tenant) \(metric)\n".utf8)[...])
        guard let line = connection.readLine(startingWith: ["#checked", "#error"], timeout: timeout) else {
            printError("no answer from \(target) within \(timeout) s")
            throw ExitCode(2)
        }
        guard let answer = CheckAnswer(line: line) else {
            printError("meterd answered: \(line)")
            throw ExitCode(2)
        }
        print(raw ? line : answer.table)
        switch answer["allowed"] {
        case "yes": return
        case "no": throw ExitCode(1)
        default: throw ExitCode(2)
        }
    }
}
