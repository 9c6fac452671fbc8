import Logging
import MeterCore
import MeterIngest
import MeterPostgres
import MeterWAL

/// Everything meterd is configured with, in the types the services take. The initial values
/// here (and those of `EngineConfiguration`) are the built-in defaults: the single source of
/// truth that `config/meterd.yaml` documents and a test compares it with.
/// `DaemonConfiguration.load` fills it from flags, the environment and the config file.
public struct DaemonSettings: Sendable, Hashable {
    /// `udp`
    public var udp = ListenAddress(host: "127.0.0.1", port: 8125)
    /// `tcp`
    public var tcp = ListenAddress(host: "127.0.0.1", port: 8126)
    /// `http`
    public var http = ListenAddress(host: "127.0.0.1", port: 9125)
    /// `unix`: off when nil.
    public var unixPath: String?
    /// `data_dir`: none when nil (random hash seed per process).
    public var dataDir: String?
    /// `flush_interval`
    public var flushInterval: Duration = .seconds(10)
    /// `postgres`: a libpq connection string, may carry a password (never log it).
    public var postgresURL: String?
    /// `redis`: a Redis URL, may carry a password (never log it).
    public var redisURL: String?
    /// `redis.key_prefix`: first component of every live-counter key (docs/redis.md).
    public var redisKeyPrefix = "meterd"
    /// `redis.retention_seconds`: how long a live-counter key outlives its period.
    public var redisRetentionSeconds: Int64 = 7 * 86_400
    /// `log_level`
    public var logLevel: Logger.Level = .info
    /// `debug_print_rollups`
    public var debugPrintRollups = false
    /// `debug_rollups`: with `postgres`, also keep every flushed row in memory for
    /// `/debug/rollups` (it grows with every bucket ever flushed: debugging only).
    public var debugRollups = false

    /// Whether flushed rows are kept in memory: without PostgreSQL (they are the only copy,
    /// for development and tests) or when a debug setting asks for them.
    public var keepsRollupsInMemory: Bool { postgresURL == nil || debugRollups || debugPrintRollups }
    /// `dedup.require_saved_ids`: with PostgreSQL and `data_dir`, start-up waits until the
    /// persisted idempotency keys are loaded (false: one attempt, then start without them).
    public var dedupRequiresSavedIDs = true
    /// `ring.shard_niceness`: how much nicer (Linux nice value, 0 to 19) the shard threads run
    /// than the event loops, so receiving and answering checks and queries come first under
    /// full load.
    public var shardNiceness = 0
    /// The `protocol.*`, `limits.*`, `aggregation.*`, `dedup.*`, `ring.*` and `ingest.*` keys.
    public var engine = EngineConfiguration()
    /// The `http_events.*` keys: limits of `POST /v1/events` (docs/http-api.md).
    public var httpEvents = HTTPEventLimits()
    /// The `usage_query.*` keys: limits of usage queries (`GET /v1/usage`, docs/queries.md).
    public var usageQuery = UsageQueryLimits()
    /// The `http_auth.*` keys: bearer tokens and the paths open without one (docs/http-api.md).
    public var httpAuth = HTTPAuthSettings()
    /// The `wal.*` keys: the write-ahead log in `<data_dir>/wal` (used only with `data_dir`).
    public var wal = WALConfiguration()
    /// The `timescaledb.*` keys: hypertable chunks, compression and retention, applied at start-up
    /// where the extension is installed (ignored on plain PostgreSQL).
    public var schema = SchemaOptions()
    /// `plans.file`: the plan catalog (docs/plans.md); no plans when nil. Its content is
    /// re-read on SIGHUP; the path itself needs a restart.
    public var plansFile: String?
    /// `plans.refresh_seconds`: how often the plan book polls PostgreSQL for plan and
    /// subscription changes (the worst-case staleness).
    public var plansRefreshInterval: Duration = .seconds(10)
    /// The `alerts.*` keys: threshold alert delivery (docs/alerts.md).
    public var alerts = AlertSettings()

    public init() {}
}
