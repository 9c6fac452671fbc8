import ArgumentParser
import MeterIngest

/// The command line. Every bad value fails at start-up with a message naming the flag
/// (ArgumentParser exits with 64, EX_USAGE).
struct DaemonOptions: ParsableArguments {
    @Option(name: .customLong("udp"), help: ArgumentHelp("UDP listen address.", valueName: "HOST:PORT"))
    var udp = "127.0.0.1:8125"

    @Option(name: .customLong("tcp"), help: ArgumentHelp("TCP listen address.", valueName: "HOST:PORT"))
    var tcp = "127.0.0.1:8126"

    @Option(name: .customLong("unix"), help: ArgumentHelp("Unix stream socket path (off unless given).", valueName: "PATH"))
    var unix: String?

    @Option(name: .customLong("http"), help: ArgumentHelp("HTTP address for /metrics, /healthz, /readyz.", valueName: "HOST:PORT"))
    var http = "127.0.0.1:9125"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("State directory: the hash seed (and, later, the write-ahead log).", valueName: "DIR"))
    var dataDir: String?

    @Option(name: .customLong("flush-interval"), help: ArgumentHelp("Seconds between flushes (fractions allowed).", valueName: "SECONDS"))
    var flushInterval: Double = 10

    @Option(name: .customLong("postgres"), help: ArgumentHelp("PostgreSQL connection string (URI or key=value; PG* environment variables fill in the rest): flush rollups there.", valueName: "URL"))
    var postgres: String?

    @Option(name: .customLong("redis"), help: ArgumentHelp("Redis URL (redis://[[user]:password@]host[:port][/db]): mirror current-period totals there.", valueName: "URL"))
    var redis: String?

    @Option(name: .customLong("shards"), help: ArgumentHelp("Ring shards, one aggregation thread each (1 to 256).", valueName: "N"))
    var shards = 8

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical."))
    var logLevel = "info"

    @Flag(name: .customLong("debug-print-rollups"),
          help: "Debug: after the final flush, print the in-memory rollups to stdout as JSON, one line per tenant.")
    var debugPrintRollups = false

    mutating func validate() throws {
        _ = try address("--udp", udp)
        _ = try address("--tcp", tcp)
        _ = try address("--http", http)
        if let unix {
            guard !unix.isEmpty else { throw ValidationError("--unix: the path is empty") }
            guard unix.utf8.count <= 107 else { throw ValidationError("--unix: the path is longer than 107 bytes") }
        }
        if let dataDir, dataDir.isEmpty { throw ValidationError("--data-dir: the directory is empty") }
        guard flushInterval.isFinite, flushInterval >= 0.01, flushInterval <= 86_400 else {
            throw ValidationError("--flush-interval: must be between 0.01 and 86400 seconds")
        }
        if let postgres, postgres.allSatisfy(\.isWhitespace) { throw ValidationError("--postgres: the connection string is empty") }
        if let redis, redis.allSatisfy(\.isWhitespace) { throw ValidationError("--redis: the URL is empty") }
        guard (1...256).contains(shards) else { throw ValidationError("--shards: must be between 1 and 256") }
        guard parsedLogLevel != nil else {
            throw ValidationError("--log-level: must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func address(_ flag: String, _ text: String) throws -> ListenAddress {
        switch ListenAddress.parse(text) {
        case .success(let address): return address
        case .failure(let problem): throw ValidationError("\(flag): \(problem), got '\(text)'")
        }
    }
}
