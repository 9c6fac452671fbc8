/// The `# HELP` line of every metric meterd exports, by metric name: one table, so the
/// exposition, `docs/daemon.md` and Prometheus' linter agree. A metric missing here is
/// exported without help, which the `/metrics` end-to-end test (`promtool check metrics`)
/// reports.
enum MetricHelp {
    static func text(for name: String) -> String { table[name] ?? "" }

    static let table: [String: String] = [
        // Ingestion (MeterIngest.MetricsReporter)
        "meterd_events_received_total": "Lines received, by transport.",
        "meterd_events_accepted_total": "Events counted into the aggregates.",
        "meterd_events_refused_total": "Lines refused, by transport (aggregator: refused on the shard threads, any transport: aggregation limits, wal_full) and reason.",
        "meterd_events_duplicate_total": "Events whose idempotency id was already counted.",
        "meterd_ring_dropped_total": "Records dropped at the ring, by reason (UDP only: streams wait).",
        "meterd_ring_occupancy_bytes": "Bytes waiting in each ring shard.",
        "meterd_series": "Series held by each shard's aggregator.",
        "meterd_udp_kernel_dropped_total": "Datagrams the kernel dropped on meterd's UDP socket (receive buffer full).",
        // Flushing
        "meterd_flush_seconds": "Time to write one flush round to the rollup sink.",
        "meterd_sync_barrier_seconds": "Time from a stream sync barrier's request to its answer (records before it durable).",
        "meterd_sync_barriers_total": "Stream sync barriers answered.",
        "meterd_stream_checks_total": "Stream #check requests answered (entitlement checks and malformed requests).",
        "meterd_quota_seedings_total": "Readings of a subscribed tenant's period usage that start its live quota tracking, by result.",
        "meterd_quota_tracked_tenants": "Tenants with a subscription in force whose period usage is tracked live.",
        "meterd_quota_seeded_tenants": "Tracked tenants whose period usage has been read (their levels are evaluated and checks answered).",
        "meterd_quota_levels_reached_total": "Threshold levels (80/90/100%) a tenant's usage reached, handed to the alert record.",
        "meterd_quota_levels_dropped_total": "Threshold levels the alert record's full queue refused.",
        "meterd_http_event_requests_total": "POST /v1/events requests answered, by HTTP status code.",
        "meterd_usage_requests_total": "GET /v1/usage requests by outcome (ok, bad_request, method_not_allowed, unknown_tenant, busy, unavailable).",
        "meterd_usage_request_seconds": "Time to answer a GET /v1/usage request (parameters, shard snapshots, flusher rows, PostgreSQL read).",
        "meterd_http_event_request_seconds": "Time from a POST /v1/events request's head to its answer (events durable, or the error).",
        "meterd_http_auth_failures_total": "HTTP requests refused 401 for want of a valid bearer token, by reason.",
        "meterd_flush_lag_seconds": "Seconds since the last successful flush.",
        "meterd_flush_pending_rows": "Rollup rows (series x grain x bucket) collected and not yet committed.",
        "meterd_flush_consecutive_failures": "Failed rollup writes since the last committed one.",
        "meterd_flush_failures_total": "Failed rollup writes.",
        // Write-ahead log (MeterIngest.ShardLog, meterd.WALStartup)
        "meterd_wal_appended_lsn": "End of the write-ahead log: the next entry's position.",
        "meterd_wal_durable_lsn": "Everything in the write-ahead log before this position is on disk.",
        "meterd_wal_checkpoint_lsn": "Smallest per-shard WAL position of the last committed flush.",
        "meterd_wal_retained_bytes": "Bytes of write-ahead log retained on disk.",
        "meterd_wal_segments": "Write-ahead log segment files retained.",
        "meterd_wal_commits_total": "Write-ahead log group commits (write and fdatasync).",
        "meterd_wal_fsync_seconds_total": "Time spent in fdatasync of the write-ahead log, in seconds.",
        "meterd_wal_full_total": "Drained batches refused because the write-ahead log stayed full (their events count as refused, transport aggregator, reason wal_full).",
        "meterd_wal_replayed_entries_total": "Write-ahead log entries replayed at start-up.",
        "meterd_wal_replayed_events_total": "Events replayed from the write-ahead log at start-up.",
        "meterd_dedup_loaded_ids_total": "Idempotency keys loaded from PostgreSQL into the deduplication windows at start-up.",
        "meterd_wal_torn_tail_bytes_total": "Bytes of torn write-ahead log tail truncated at start-up.",
        // Configuration
        "meterd_config_reloads_total": "Configuration reloads (SIGHUP), by result (applied, failed).",
        // Plans and subscriptions (meterd.PlanService, docs/plans.md)
        "meterd_plan_book_refreshes_total": "Polls of PostgreSQL for the plan catalog and subscriptions, by result (ok, failed).",
        "meterd_plan_book_plans": "Plans in the plan book's catalog.",
        "meterd_plan_book_subscribed_tenants": "Tenants with a subscription in force, as of the last refresh.",
        "meterd_plan_book_last_refresh_timestamp_seconds": "Unix time of the last successful plan book refresh from PostgreSQL.",
        "meterd_plan_file_reloads_total": "Re-reads of the plans file on SIGHUP, by result (applied, failed: the running catalog is kept).",
        // Redis mirror (meterd.RedisMirror)
        "meterd_redis_mirror_connected": "1 while the Redis mirror holds a connection.",
        "meterd_redis_mirror_rounds_total": "Flush rounds sent to Redis, by result.",
        "meterd_redis_mirror_dropped_rounds_total": "Flush rounds dropped from the full mirror queue or at shutdown.",
        "meterd_redis_mirror_errors_total": "Redis errors of the mirror, by kind.",
        "meterd_redis_mirror_lag_rounds": "Flush rounds waiting in the mirror queue.",
        "meterd_redis_mirror_needs_resync": "1 when Redis may differ from the committed totals, until a resync succeeds.",
        "meterd_redis_mirror_resyncs_total": "Absolute resyncs of the open periods' keys from the committed totals, by result.",
        "meterd_redis_mirror_resync_seconds": "Time of one successful resync: reading the totals, rewriting the keys, deleting stale ones.",
        "meterd_redis_mirror_resync_keys_total": "Keys rewritten or deleted as stale by resyncs, by action.",
        "meterd_redis_mirror_skipped_rounds_total": "Flush rounds not sent because a resync's totals already held them.",
        // Threshold alerts (MeterAlerts.AlertDispatcher, SinkRunner)
        "meterd_alerts_recorded_total": "Threshold alerts handed to the record, by result (fired: first record, delivered; already_fired: recorded before, by any instance).",
        "meterd_alerts_recovered_total": "Pending alert deliveries sent again at start-up from the outbox.",
        "meterd_alerts_dropped_total": "Threshold alerts or delivery reports not taken, by reason (record_queue_full, report_queue_full, record_error).",
        "meterd_alert_record_queue_depth": "Alert records waiting for PostgreSQL.",
        "meterd_alert_record_errors_total": "PostgreSQL errors of the alert record, by kind.",
        "meterd_alert_deliveries_total": "Alert deliveries a sink completed, by sink.",
        "meterd_alert_delivery_retries_total": "Alert delivery attempts scheduled again after a failure, by sink.",
        "meterd_alert_attempt_errors_total": "Failed alert delivery attempts, by sink and reason.",
        "meterd_alert_delivery_failures_total": "Alert deliveries given up, by sink and reason (http_4xx, expired, queue_full, ...).",
        "meterd_alert_queue_depth": "Alert deliveries waiting in a sink's queue.",
        "meterd_alert_delivery_seconds": "Time from an alert reaching a sink's thread to its delivery, retries included.",
        // Process (MeterIngest.ProcessMetrics)
        "process_cpu_seconds_total": "User and system CPU time spent, in seconds.",
        "process_resident_memory_bytes": "Resident memory size, in bytes.",
        "process_virtual_memory_bytes": "Virtual memory size, in bytes.",
        "process_open_fds": "Open file descriptors.",
        "process_max_fds": "Maximum number of open file descriptors (soft limit).",
        "process_start_time_seconds": "Start time of the process since the Unix epoch, in seconds.",
        "process_threads": "Threads of the process.",
    ]
}
