import MeterCore
import MeterIngest
import MeterPostgres
import MeterWAL

/// What a reload (SIGHUP) does with freshly loaded settings: the keys meterd can change while
/// running take their new values; every other key keeps the value it started with, and each
/// one that changed is named so the operator knows a restart is needed for it.
///
/// Reloadable: `log_level`, `flush_interval`, and the series limits the shared
/// `CardinalityLimiter` enforces (`limits.max_series`, `limits.max_series_per_tenant`,
/// `limits.max_values_per_dimension`). Fixed at start-up: listeners and sockets, storage
/// (`data_dir`, `wal.*`, `postgres`, `redis`), the ring, and the limits baked into parsers and
/// aggregators (record sizes, lateness, dedup window, set members, gauge carry).
public struct ReloadPlan: Sendable, Hashable {
    /// The settings to run with after the reload.
    public var settings: DaemonSettings
    /// Keys whose new value takes effect now.
    public var applied: [String] = []
    /// Keys whose value changed in the sources but stays as it was until a restart.
    public var needRestart: [String] = []

    /// The keys `applied` can hold.
    public static let reloadableKeys: Set<String> = [
        "log_level", "flush_interval", "limits.max_series", "limits.max_series_per_tenant",
        "limits.max_values_per_dimension",
    ]

    public init(current: DaemonSettings, loaded: DaemonSettings) {
        settings = current
        for field in Self.fields where field.value(current) != field.value(loaded) {
            if Self.reloadableKeys.contains(field.key) {
                field.copy(loaded, &settings)
                applied.append(field.key)
            } else {
                needRestart.append(field.key)
            }
        }
    }

    public var changedNothing: Bool { applied.isEmpty && needRestart.isEmpty }

    struct Field: Sendable {
        let key: String
        let value: @Sendable (DaemonSettings) -> AnyHashable?
        let copy: @Sendable (DaemonSettings, inout DaemonSettings) -> Void
    }

    private static func field<Value: Hashable & Sendable>(_ key: String, _ path: any WritableKeyPath<DaemonSettings, Value> & Sendable) -> Field {
        Field(key: key, value: { AnyHashable($0[keyPath: path]) }, copy: { $1[keyPath: path] = $0[keyPath: path] })
    }

    /// Every configuration key, by the field it sets (a test checks this covers `Setting.all`).
    static let fields: [Field] = [
        field("udp", \.udp), field("tcp", \.tcp), field("http", \.http), field("unix", \.unixPath),
        field("data_dir", \.dataDir), field("flush_interval", \.flushInterval),
        field("postgres", \.postgresURL), field("redis", \.redisURL),
        field("redis.key_prefix", \.redisKeyPrefix), field("redis.retention_seconds", \.redisRetentionSeconds),
        field("log_level", \.logLevel),
        field("debug_print_rollups", \.debugPrintRollups), field("debug_rollups", \.debugRollups),
        field("protocol.max_line_bytes", \.engine.protocolLimits.maxLineBytes),
        field("protocol.max_name_bytes", \.engine.protocolLimits.maxNameBytes),
        field("protocol.max_tenant_bytes", \.engine.protocolLimits.maxTenantBytes),
        field("protocol.max_id_bytes", \.engine.protocolLimits.maxIDBytes),
        field("protocol.max_member_bytes", \.engine.protocolLimits.maxMemberBytes),
        field("protocol.max_tag_bytes", \.engine.protocolLimits.maxTagBytes),
        field("protocol.max_dimensions", \.engine.protocolLimits.maxDimensions),
        field("protocol.max_lateness_seconds", \.engine.protocolLimits.maxLatenessSeconds),
        field("protocol.max_future_seconds", \.engine.protocolLimits.maxFutureSeconds),
        field("protocol.tenant_tag", \.engine.protocolLimits.tenantTagKey),
        field("protocol.id_tag", \.engine.protocolLimits.idTagKey),
        field("limits.max_series_per_tenant", \.engine.aggregatorLimits.maxSeriesPerTenant),
        field("limits.max_series", \.engine.aggregatorLimits.maxSeries),
        field("limits.max_values_per_dimension", \.engine.aggregatorLimits.maxValuesPerDimension),
        field("limits.max_set_members_per_bucket", \.engine.aggregatorLimits.maxSetMembersPerBucket),
        field("aggregation.gauge_max_carry_seconds", \.engine.aggregatorLimits.gaugeMaxCarrySeconds),
        field("aggregation.series_idle_seconds", \.engine.aggregatorLimits.seriesIdleSeconds),
        field("dedup.window_seconds", \.engine.dedupWindowSeconds),
        field("dedup.max_entries", \.engine.dedupMaxEntries),
        field("dedup.require_saved_ids", \.dedupRequiresSavedIDs),
        field("ring.shards", \.engine.shardCount),
        field("ring.bytes_per_shard", \.engine.bytesPerShard),
        field("ring.shard_niceness", \.shardNiceness),
        field("ingest.batch_bytes", \.engine.batchBytes),
        field("http_events.max_body_bytes", \.httpEvents.maxBodyBytes),
        field("http_events.max_events", \.httpEvents.maxEvents),
        field("http_events.queue_timeout_ms", \.httpEvents.queueTimeout),
        field("usage_query.max_buckets", \.usageQuery.maxBuckets),
        field("usage_query.max_in_flight", \.usageQuery.maxInFlight),
        field("http_auth.tokens", \.httpAuth.tokens),
        field("http_auth.token_file", \.httpAuth.tokenFile),
        field("http_auth.exempt_paths", \.httpAuth.exemptPaths),
        field("wal.segment_bytes", \.wal.segmentBytes),
        field("wal.max_bytes", \.wal.maxBytes),
        field("wal.commit_interval_ms", \.wal.commitInterval),
        field("wal.commit_bytes", \.wal.commitBytes),
        field("wal.max_entry_bytes", \.wal.maxEntryBytes),
        field("timescaledb.chunk_interval_hourly", \.schema.chunkIntervalHourly),
        field("timescaledb.chunk_interval_daily", \.schema.chunkIntervalDaily),
        field("timescaledb.chunk_interval_monthly", \.schema.chunkIntervalMonthly),
        field("timescaledb.compress_after", \.schema.compressAfter),
        field("timescaledb.hourly_retention", \.schema.hourlyRetention),
        field("plans.file", \.plansFile), field("plans.refresh_seconds", \.plansRefreshInterval),
        field("alerts.webhook_url", \.alerts.webhookURL), field("alerts.webhook_secret", \.alerts.webhookSecret),
        field("alerts.webhook_timeout_ms", \.alerts.webhookTimeout),
        field("alerts.retry_initial_ms", \.alerts.retryInitialDelay), field("alerts.retry_max_ms", \.alerts.retryMaxDelay),
        field("alerts.retry_horizon_seconds", \.alerts.retryHorizon),
        field("alerts.redis_channel", \.alerts.redisChannel), field("alerts.notify_channel", \.alerts.notifyChannel),
        field("alerts.queue_size", \.alerts.queueSize), field("alerts.record_queue_size", \.alerts.recordQueueSize),
    ]
}
