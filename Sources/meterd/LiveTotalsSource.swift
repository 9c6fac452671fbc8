import MeterCore
import MeterIngest
import MeterPostgres
import MeterRedis

/// Where the Redis mirror's resync takes absolute totals from, with the flush counter they
/// hold: every committed flush up to `counter` is in `totals`, none after (docs/redis.md
/// "Resync"). Called on the mirror's thread only; blocking.
protocol LiveTotalsSource: Sendable {
    func snapshot(openBuckets: [Grain: Int64], limit: Int) throws -> LiveTotalsSnapshot
}

struct LiveTotalsSnapshot: Sendable {
    var counter: Int64
    var totals: [LiveTotal]
    /// There were more keys than the limit; `totals` holds the first `limit`.
    var truncated: Bool
}

/// With PostgreSQL: every instance's committed totals and this instance's counter, read in
/// one `REPEATABLE READ` transaction (`LiveTotalsSQL`) on a connection of its own, opened
/// for each resync and closed after it (resyncs are rare; no idle connection is kept).
struct PostgresLiveTotals: LiveTotalsSource {
    let connectionString: String
    let instance: String

    func snapshot(openBuckets: [Grain: Int64], limit: Int) throws -> LiveTotalsSnapshot {
        let connection = try PostgresConnection(connectionString: connectionString,
                                                defaults: CheckpointedRollupWriter.connectionDefaults)
        defer { connection.close() }
        let snapshot = try LiveTotalsSQL.read(on: connection, instance: instance, openBuckets: openBuckets, limit: limit)
        let totals = snapshot.rows.map { row in
            var total = LiveTotal(tenant: row.tenant, metric: row.metric, type: row.type, grain: row.grain,
                                  bucketStart: row.bucketStart)
            total.add(events: row.events, sumUnits: row.sumUnits, unique: row.uniques,
                      integralUnitSeconds: row.integralUnitSeconds,
                      latest: row.latestUnits.map { ($0, row.latestTime ?? 0) })
            return total
        }
        return LiveTotalsSnapshot(counter: snapshot.counter, totals: totals, truncated: snapshot.truncated)
    }
}

/// Without PostgreSQL: this process's totals, from the in-memory sink, with the count of
/// writes they hold (read together under the sink's lock). A previous run's totals are gone.
struct MemoryLiveTotals: LiveTotalsSource {
    let sink: InMemoryRollupSink

    func snapshot(openBuckets: [Grain: Int64], limit: Int) throws -> LiveTotalsSnapshot {
        let (rows, writes) = sink.rowsAndWrites()
        var builder = LiveTotalsBuilder()
        for (key, value) in rows {
            guard let first = openBuckets[key.grain], key.bucketStart >= first,
                  let series = key.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else { continue }
            builder.add(tenant: series.tenant, metric: series.metric, type: value.type, grain: key.grain,
                        bucketStart: key.bucketStart, events: Int128(value.events), sumUnits: value.sum.units,
                        unique: Int128(value.unique), integralUnitSeconds: value.integral.units,
                        latest: value.latest.map { (Int128($0.units), value.latestTime) })
        }
        // The same order as the PostgreSQL read, so a truncated resync keeps the same keys.
        let sorted = builder.totals.sorted {
            ($0.tenant, $0.metric, $0.type.rawValue, $0.grain.name, $0.bucketStart)
                < ($1.tenant, $1.metric, $1.type.rawValue, $1.grain.name, $1.bucketStart)
        }
        return LiveTotalsSnapshot(counter: writes, totals: Array(sorted.prefix(limit)), truncated: sorted.count > limit)
    }
}
