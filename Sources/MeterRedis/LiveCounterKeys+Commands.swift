public import MeterCore

/// The commands that apply one flush's deltas to the mirror, and what could not be expressed.
public struct LiveCounterBatch: Sendable, Hashable {
    /// Commands for `RedisConnection.pipeline`, grouped by key, keys in first-seen order.
    public var commands: [[String]] = []
    /// Distinct keys written.
    public var keyCount = 0
    /// Deltas skipped because their series key did not decode (a programming error upstream;
    /// counted so it is visible rather than trapping the mirror thread).
    public var malformedDeltas = 0
    /// Field increments skipped because the merged value does not fit Redis' signed 64-bit
    /// integers (about 9.2e12 whole units in one flush: not expected in practice).
    public var unrepresentableIncrements = 0

    public init() {}
}

extension LiveCounterKeys {
    /// Lua for the gauge's latest value: replace it only when the new event time is not older
    /// than the stored one (a tie goes to the write flushed later, as in `RollupValue.apply`).
    /// Values travel as strings and are never converted to Lua numbers (doubles), so any Int64
    /// of micro-units stays exact; only the Unix-second times are compared numerically.
    public static let latestScript = """
        local t = redis.call('HGET', KEYS[1], 'latest_time')
        if (not t) or tonumber(t) <= tonumber(ARGV[2]) then
          redis.call('HSET', KEYS[1], 'latest_units', ARGV[1], 'latest_time', ARGV[2])
        end
        return 0
        """

    /// Turns one flush's deltas into mirror commands. Deltas of the same (tenant, metric, type,
    /// grain, bucket) (different dimension combinations, or several flushes) are merged first, so each
    /// key gets at most one increment per field, one latest update and one `EXPIREAT`.
    ///
    /// Pure: no I/O. Applying the batch adds exactly the deltas' totals, so it must be applied
    /// once (see docs/redis.md for how the daemon avoids double application after an error).
    public func commands(for deltas: [RollupDelta]) -> LiveCounterBatch {
        struct Pending {
            var key: String
            var type: MetricType
            var expiresAt: Int64
            var events: Int128 = 0
            var sumUnits: Int128 = 0
            var unique: Int128 = 0
            var integral: Int128 = 0
            var latest: Quantity?
            var latestTime: Int64 = .min
        }
        var batch = LiveCounterBatch()
        var order: [Pending] = []
        var indexByKey: [String: Int] = [:]
        for delta in deltas {
            guard let series = delta.seriesKey.withUnsafeBytes({ SeriesKey.decode($0) }) else {
                batch.malformedDeltas += 1
                continue
            }
            let key = key(tenant: series.tenant, metric: series.metric, type: delta.type,
                          grain: delta.grain, bucketStart: delta.bucketStart)
            let index: Int
            if let existing = indexByKey[key] {
                index = existing
            } else {
                index = order.count
                indexByKey[key] = index
                order.append(Pending(key: key, type: delta.type,
                                     expiresAt: expiresAt(grain: delta.grain, bucketStart: delta.bucketStart)))
            }
            order[index].events += Int128(delta.events)
            order[index].sumUnits += delta.sum.units
            order[index].unique += Int128(delta.uniqueDelta)
            order[index].integral += delta.integral.units
            if let latest = delta.latest, delta.latestTime >= order[index].latestTime {
                order[index].latest = latest
                order[index].latestTime = delta.latestTime
            }
        }

        batch.keyCount = order.count
        for pending in order {
            let key = pending.key
            func increment(_ field: String, _ amount: Int128) {
                guard amount != 0 else { return }
                guard let value = Int64(exactly: amount) else {
                    batch.unrepresentableIncrements += 1
                    return
                }
                batch.commands.append(["HINCRBY", key, field, String(value)])
            }
            increment(Field.events, pending.events)
            switch pending.type {
            case .counter:
                increment(Field.sumUnits, pending.sumUnits)
            case .set:
                increment(Field.unique, pending.unique)
            case .gauge:
                increment(Field.integralUnitSeconds, pending.integral)
                if let latest = pending.latest {
                    batch.commands.append(["EVAL", Self.latestScript, "1", key,
                                           String(latest.units), String(pending.latestTime)])
                }
            }
            batch.commands.append(["EXPIREAT", key, String(pending.expiresAt)])
        }
        return batch
    }
}
