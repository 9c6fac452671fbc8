import Foundation
import Logging
import MeterCore
import MeterIngest
import MeterPostgres
import MeterWAL

extension Setting {
    /// Every configuration key meterd reads, in the order of `config/meterd.yaml`.
    public static let all: [Setting] = daemon + engine + httpEvents + usageQuery + httpAuth + wal + timescale + plans + alerts

    /// The key named `key`, if it is one.
    public static func named(_ key: String) -> Setting? { byKey[key] }

    private static let byKey = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    /// The daemon's own settings: listeners, storage, flushing, logging.
    static let daemon: [Setting] = [
        .address("udp", flag: "--udp") { $0.udp = $1 },
        .address("tcp", flag: "--tcp") { $0.tcp = $1 },
        .address("http", flag: "--http") { $0.http = $1 },
        Setting(key: "unix", flag: "--unix", isSecret: false) { settings, path in
            guard !path.isEmpty else { return "the path is empty" }
            guard path.utf8.count <= 107 else { return "the path is longer than 107 bytes" }
            settings.unixPath = path
            return nil
        },
        .text("data_dir", flag: "--data-dir", what: "directory") { $0.dataDir = $1 },
        Setting(key: "flush_interval", flag: "--flush-interval", isSecret: false) { settings, text in
            guard let seconds = Double(text.trimmingSpaces) else { return "expected a number of seconds, got '\(text)'" }
            guard seconds.isFinite, seconds >= 0.01, seconds <= 86_400 else {
                return "must be between 0.01 and 86400 seconds, got '\(text)'"
            }
            settings.flushInterval = .milliseconds(Int64((seconds * 1000).rounded()))
            return nil
        },
        .text("postgres", flag: "--postgres", secret: true, what: "connection string") { $0.postgresURL = $1 },
        .text("redis", flag: "--redis", secret: true, what: "URL") { $0.redisURL = $1 },
        Setting(key: "redis.key_prefix", flag: nil, isSecret: false) { settings, text in
            let prefix = String(text.trimmingSpaces)
            guard !prefix.isEmpty, prefix.utf8.count <= 64 else { return "must be 1 to 64 bytes, got '\(text)'" }
            // No glob characters (the resync SCANs `<prefix>:usage:*`) and no braces (hash tags).
            guard prefix.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.:-".unicodeScalars.contains($0)) }) else {
                return "may hold only A-Z, a-z, 0-9, '_', '.', ':' and '-', got '\(text)'"
            }
            settings.redisKeyPrefix = prefix
            return nil
        },
        Setting(key: "redis.retention_seconds", flag: nil, isSecret: false) { settings, text in
            guard let seconds = Int64(text.trimmingSpaces), seconds >= 0, seconds <= 366 * 86_400 else {
                return "expected whole seconds from 0 to 31622400, got '\(text)'"
            }
            settings.redisRetentionSeconds = seconds
            return nil
        },
        Setting(key: "log_level", flag: "--log-level", isSecret: false) { settings, text in
            guard let level = Logger.Level(rawValue: String(text.trimmingSpaces).lowercased()) else {
                return "must be one of trace, debug, info, notice, warning, error, critical, got '\(text)'"
            }
            settings.logLevel = level
            return nil
        },
        .bool("debug_print_rollups", flag: "--debug-print-rollups") { $0.debugPrintRollups = $1 },
        .bool("debug_rollups", flag: nil) { $0.debugRollups = $1 },
    ]

    /// The engine's limits (`config/limits.md`), stored into `EngineConfiguration`.
    static let engine: [Setting] = [
        .int("protocol.max_line_bytes") { $0.engine.protocolLimits.maxLineBytes = $1 },
        .int("protocol.max_name_bytes") { $0.engine.protocolLimits.maxNameBytes = $1 },
        .int("protocol.max_tenant_bytes") { $0.engine.protocolLimits.maxTenantBytes = $1 },
        .int("protocol.max_id_bytes") { $0.engine.protocolLimits.maxIDBytes = $1 },
        .int("protocol.max_member_bytes") { $0.engine.protocolLimits.maxMemberBytes = $1 },
        .int("protocol.max_tag_bytes") { $0.engine.protocolLimits.maxTagBytes = $1 },
        .int("protocol.max_dimensions") { $0.engine.protocolLimits.maxDimensions = $1 },
        // The aggregator keeps set buckets as long as lines may be late: one key sets both.
        .int64("protocol.max_lateness_seconds") {
            $0.engine.protocolLimits.maxLatenessSeconds = $1
            $0.engine.aggregatorLimits.maxLatenessSeconds = $1
        },
        .int64("protocol.max_future_seconds") { $0.engine.protocolLimits.maxFutureSeconds = $1 },
        .text("protocol.tenant_tag", flag: nil, what: "tag key") { $0.engine.protocolLimits.tenantTagKey = $1 },
        .text("protocol.id_tag", flag: nil, what: "tag key") { $0.engine.protocolLimits.idTagKey = $1 },
        .int("limits.max_series_per_tenant") { $0.engine.aggregatorLimits.maxSeriesPerTenant = $1 },
        .int("limits.max_series") { $0.engine.aggregatorLimits.maxSeries = $1 },
        .int("limits.max_values_per_dimension") { $0.engine.aggregatorLimits.maxValuesPerDimension = $1 },
        .int("limits.max_set_members_per_bucket") { $0.engine.aggregatorLimits.maxSetMembersPerBucket = $1 },
        .int64("aggregation.gauge_max_carry_seconds") { $0.engine.aggregatorLimits.gaugeMaxCarrySeconds = $1 },
        .int64("aggregation.series_idle_seconds") { $0.engine.aggregatorLimits.seriesIdleSeconds = $1 },
        .int64("dedup.window_seconds") { $0.engine.dedupWindowSeconds = $1 },
        .int("dedup.max_entries") { $0.engine.dedupMaxEntries = $1 },
        .bool("dedup.require_saved_ids", flag: nil) { $0.dedupRequiresSavedIDs = $1 },
        .int("ring.shards", flag: "--shards") { $0.engine.shardCount = $1 },
        .int("ring.bytes_per_shard") { $0.engine.bytesPerShard = $1 },
        .int("ring.shard_niceness") { $0.shardNiceness = $1 },
        .int("ingest.batch_bytes") { $0.engine.batchBytes = $1 },
    ]

    /// `POST /v1/events` (`HTTPEventLimits`; checked by `HTTPEventLimits.problem`).
    static let httpEvents: [Setting] = [
        .int("http_events.max_body_bytes") { $0.httpEvents.maxBodyBytes = $1 },
        .int("http_events.max_events") { $0.httpEvents.maxEvents = $1 },
        .int64("http_events.queue_timeout_ms") { $0.httpEvents.queueTimeout = .milliseconds($1) },
    ]

    /// Usage queries (`UsageQueryLimits`; checked by `UsageQueryLimits.problem`).
    static let usageQuery: [Setting] = [
        .int("usage_query.max_buckets") { $0.usageQuery.maxBuckets = $1 },
        .int("usage_query.max_in_flight") { $0.usageQuery.maxInFlight = $1 },
    ]

    /// Bearer tokens of the HTTP API (`HTTPAuthSettings`, docs/http-api.md "Authentication").
    static let httpAuth: [Setting] = [
        Setting(key: "http_auth.tokens", flag: nil, isSecret: true) { settings, text in
            switch HTTPAuthSettings.parseTokens(text) {
            case .success(let tokens): settings.httpAuth.tokens = tokens; return nil
            case .failure(let problem): return problem.description
            }
        },
        // Read here, at load (and again at a reload), so a missing file stops start-up.
        Setting(key: "http_auth.token_file", flag: nil, isSecret: false) { settings, text in
            let path = String(text.trimmingSpaces)
            guard !path.isEmpty else { return "the path is empty" }
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { return "cannot read \(path)" }
            switch HTTPTokenFile.parse(path: path, contents: contents) {
            case .success(let file): settings.httpAuth.tokenFile = file; return nil
            case .failure(let problem): return problem.description
            }
        },
        Setting(key: "http_auth.exempt_paths", flag: nil, isSecret: false) { settings, text in
            let paths = text.split(separator: ",").map { String(String($0).trimmingSpaces) }.filter { !$0.isEmpty }
            if let bad = paths.first(where: { !$0.hasPrefix("/") }) { return "every path starts with '/', got '\(bad)'" }
            settings.httpAuth.exemptPaths = paths
            return nil
        },
    ]

    /// The write-ahead log (`WALConfiguration`; checked by `WALConfiguration.problem`).
    static let wal: [Setting] = [
        .int("wal.segment_bytes") { $0.wal.segmentBytes = $1 },
        .int("wal.max_bytes") { $0.wal.maxBytes = $1 },
        .int64("wal.commit_interval_ms") { $0.wal.commitInterval = .milliseconds($1) },
        .int("wal.commit_bytes") { $0.wal.commitBytes = $1 },
        .int("wal.max_entry_bytes") { $0.wal.maxEntryBytes = $1 },
    ]

    /// TimescaleDB storage (`SchemaOptions`), used only where the extension is installed.
    static let timescale: [Setting] = [
        .interval("timescaledb.chunk_interval_hourly") { $0.schema.chunkIntervalHourly = $1! },
        .interval("timescaledb.chunk_interval_daily") { $0.schema.chunkIntervalDaily = $1! },
        .interval("timescaledb.chunk_interval_monthly") { $0.schema.chunkIntervalMonthly = $1! },
        .interval("timescaledb.compress_after", canBeOff: true) { $0.schema.compressAfter = $1 },
        .interval("timescaledb.hourly_retention", canBeOff: true) { $0.schema.hourlyRetention = $1 },
    ]

    /// Plans and subscriptions (docs/plans.md): the plans file and the plan book's polling.
    static let plans: [Setting] = [
        .text("plans.file", flag: nil, what: "path") { $0.plansFile = $1 },
        Setting(key: "plans.refresh_seconds", flag: nil, isSecret: false) { settings, text in
            guard let seconds = Double(text.trimmingSpaces) else { return "expected a number of seconds, got '\(text)'" }
            guard seconds.isFinite, seconds >= 0.1, seconds <= 3600 else {
                return "must be between 0.1 and 3600 seconds, got '\(text)'"
            }
            settings.plansRefreshInterval = .milliseconds(Int64((seconds * 1000).rounded()))
            return nil
        },
    ]

    /// Threshold alert delivery (`AlertSettings`; checked by `AlertSettings.problems`).
    static let alerts: [Setting] = [
        Setting(key: "alerts.webhook_url", flag: nil, isSecret: true) { settings, text in
            let url = String(text.trimmingSpaces)
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > "https://".count else {
                return "expected an http:// or https:// URL"  // the value is a secret: not repeated
            }
            settings.alerts.webhookURL = url
            return nil
        },
        .text("alerts.webhook_secret", flag: nil, secret: true, what: "secret") { $0.alerts.webhookSecret = $1 },
        .int64("alerts.webhook_timeout_ms") { $0.alerts.webhookTimeout = .milliseconds($1) },
        .int64("alerts.retry_initial_ms") { $0.alerts.retryInitialDelay = .milliseconds($1) },
        .int64("alerts.retry_max_ms") { $0.alerts.retryMaxDelay = .milliseconds($1) },
        .int64("alerts.retry_horizon_seconds") { $0.alerts.retryHorizon = .seconds($1) },
        .text("alerts.redis_channel", flag: nil, what: "channel") { $0.alerts.redisChannel = $1 },
        .text("alerts.notify_channel", flag: nil, what: "channel") { $0.alerts.notifyChannel = $1 },
        .int("alerts.queue_size") { $0.alerts.queueSize = $1 },
        .int("alerts.record_queue_size") { $0.alerts.recordQueueSize = $1 },
    ]
}
