import ArgumentParser
import MeterctlKit

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP API target and token shared by the query commands.
struct APIOptions: ParsableArguments {
    @Option(help: "meterd's HTTP API: http://HOST:PORT or HOST:PORT.")
    var http = "127.0.0.1:9125"

    @Option(help: "The API's bearer token (http_auth.tokens); default: the METERCTL_TOKEN environment variable.")
    var token: String?

    func client() throws -> HTTPGet {
        let (host, port) = try HTTPEvents.hostPort(http)
        return HTTPGet(host: host, port: port, token: token ?? getenv(HTTPEvents.tokenEnvironmentName).map { String(cString: $0) })
    }
}

struct Usage: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a tenant's usage (GET /v1/usage): flushed and still in memory, per bucket.",
        discussion: """
            Times are RFC 3339 (2026-12-01T00:00:00Z) or Unix seconds. Without --from, the \
            range starts at the current UTC month; without --to, it ends now. Exit 1 on any \
            answer but 200 (the error is printed).
            """
    )

    @OptionGroup var api: APIOptions

    @Option(help: "The tenant.")
    var tenant: String
    @Option(help: "One metric (omit for every metric of the tenant).")
    var metric: String?
    @Option(help: "hour, day or month.")
    var grain = "hour"
    @Option(help: "Range start (the bucket containing it is the first).")
    var from: String?
    @Option(help: "Range end, exclusive.")
    var to: String?
    @Option(name: .customLong("dim"), help: "KEY=VALUE: only series with this dimension (repeatable).")
    var dimensions: [String] = []
    @Flag(help: "Print meterd's JSON answer as it is.")
    var json = false

    func run() throws {
        let now = Int64(time(nil))
        var parameters = [("tenant", tenant)]
        if let metric { parameters.append(("metric", metric)) }
        parameters.append(("grain", grain))
        parameters.append(("from", from ?? String(Self.monthStart(now))))
        parameters.append(("to", to ?? String(now + 1)))
        for dimension in dimensions {
            let parts = dimension.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--dim takes KEY=VALUE, got '\(dimension)'") }
            parameters.append(("dim.\(parts[0])", String(parts[1])))
        }
        let (status, body) = try api.client().get(HTTPGet.target("/v1/usage", parameters))
        let text = String(decoding: body, as: UTF8.self)
        guard status == 200 else {
            printError("status \(status): \(text)")
            throw ExitCode(1)
        }
        if json {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        } else if let table = UsageTable.render(body) {
            print(table, terminator: "")
        } else {
            printError("not a usage answer: \(text)")
            throw ExitCode(1)
        }
    }

    /// The start of the UTC calendar month containing `seconds`.
    static func monthStart(_ seconds: Int64) -> Int64 {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        parts.tm_mday = 1
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        return Int64(timegm(&parts))
    }
}

struct HTTPLatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-latency",
        abstract: "Issue GET requests one after the other on one connection and print latency quantiles per path.",
        discussion: """
            Cycles through the given paths (for example a /v1/usage query and an entitlement \
            check) for --duration seconds. One line per path: \
            `path=<p> requests=<n> p50_ms=<x> p99_ms=<y> max_ms=<z> statuses=<code>:<count>,...`.
            """
    )

    @OptionGroup var api: APIOptions

    @Argument(help: "Paths with their query, e.g. '/v1/usage?tenant=t1&grain=hour&from=...&to=...'.")
    var paths: [String]
    @Option(help: "Seconds to run (at most 3600).")
    var duration = 30.0
    @Option(help: "Stop after this many requests per path.")
    var count: Int?

    func validate() throws {
        guard !paths.isEmpty, paths.allSatisfy({ $0.hasPrefix("/") }) else { throw ValidationError("give one or more paths starting with /") }
        guard duration > 0 && duration <= 3_600 else { throw ValidationError("--duration must be more than 0 and at most 3600") }
    }

    func run() throws {
        let reports = try HTTPLatency(client: api.client(), targets: paths).run(duration: duration, count: count)
        for report in reports {
            let statuses = report.statuses.keys.sorted().map { "\($0):\(report.statuses[$0]!)" }.joined(separator: ",")
            print("path=\(report.target) requests=\(report.latencies.count) p50_ms=\(format(report.quantile(0.5) * 1000, 3)) "
                  + "p99_ms=\(format(report.quantile(0.99) * 1000, 3)) max_ms=\(format(report.quantile(1) * 1000, 3)) statuses=\(statuses)")
        }
    }
}
