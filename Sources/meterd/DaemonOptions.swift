import ArgumentParser
import MeterConfig

/// The command line. Every setting option is optional: a flag that was not given leaves the
/// key to the environment, the config file or the built-in default (`DaemonConfiguration`),
/// which checks the values and names the flag in its messages. Defaults live in
/// `DaemonSettings`, not here.
struct DaemonOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("YAML config file (config/meterd.yaml documents every key); also METERD_CONFIG.", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Set any config key, e.g. --set limits.max_series_per_tenant=500 (repeatable).", valueName: "KEY=VALUE"))
    var set: [String] = []

    @Option(name: .customLong("udp"), help: ArgumentHelp("UDP listen address (udp, default \(DaemonSettings().udp)).", valueName: "HOST:PORT"))
    var udp: String?

    @Option(name: .customLong("tcp"), help: ArgumentHelp("TCP listen address (tcp, default \(DaemonSettings().tcp)).", valueName: "HOST:PORT"))
    var tcp: String?

    @Option(name: .customLong("unix"), help: ArgumentHelp("Unix stream socket path (unix, off unless given).", valueName: "PATH"))
    var unix: String?

    @Option(name: .customLong("http"), help: ArgumentHelp("HTTP address for /metrics, /healthz, /readyz (http, default \(DaemonSettings().http)).", valueName: "HOST:PORT"))
    var http: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("State directory: the hash seed (and, later, the write-ahead log) (data_dir).", valueName: "DIR"))
    var dataDir: String?

    @Option(name: .customLong("flush-interval"), help: ArgumentHelp("Seconds between flushes, fractions allowed (flush_interval, default 10).", valueName: "SECONDS"))
    var flushInterval: String?

    @Option(name: .customLong("postgres"), help: ArgumentHelp("PostgreSQL connection string (URI or key=value; PG* environment variables fill in the rest): flush rollups there (postgres).", valueName: "URL"))
    var postgres: String?

    @Option(name: .customLong("redis"), help: ArgumentHelp("Redis URL (redis://[[user]:password@]host[:port][/db]): mirror current-period totals there (redis).", valueName: "URL"))
    var redis: String?

    @Option(name: .customLong("shards"), help: ArgumentHelp("Ring shards, one aggregation thread each, 1 to 256 (ring.shards, default 8).", valueName: "N"))
    var shards: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (log_level, default info).", valueName: "LEVEL"))
    var logLevel: String?

    @Flag(name: .customLong("debug-print-rollups"), inversion: .prefixedNo,
          help: "Debug: after the final flush, print the in-memory rollups to stdout as JSON, one line per tenant (debug_print_rollups).")
    var debugPrintRollups: Bool?

    /// The given flags by config key, and the `--set` assignments.
    func commandLineValues() throws(ConfigurationError) -> CommandLineValues {
        try CommandLineValues(flags: [
            "udp": udp, "tcp": tcp, "unix": unix, "http": http, "data_dir": dataDir,
            "flush_interval": flushInterval, "postgres": postgres, "redis": redis,
            "ring.shards": shards, "log_level": logLevel, "debug_print_rollups": debugPrintRollups.map { "\($0)" },
        ], assignments: set)
    }
}
