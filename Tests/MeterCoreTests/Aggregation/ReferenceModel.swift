import MeterCore

/// A deliberately simple model of aggregation: every rule written the plainest way, with
/// dictionaries and strings, to check the optimized aggregator against.
struct ReferenceModel {
    struct SeriesID: Hashable {
        var tenant: String
        var metric: String
        var type: MetricType
        var dimensions: [String]
    }
    struct RowID: Hashable {
        var series: SeriesID
        var grain: Grain
        var bucketStart: Int64
    }
    struct Row: Equatable {
        var events: Int64 = 0
        var sum: Int128 = 0
        var integral: Int128 = 0
        var minimum: Int64?
        var maximum: Int64?
        var latest: Int64?
        var latestTime: Int64 = .min
        var members: Set<String> = []
    }

    let gaugeMaxCarrySeconds: Int64
    var rows: [RowID: Row] = [:]
    var seenIDs: Set<[String]> = []
    var carry: [SeriesID: (time: Int64, value: Int64)] = [:]

    init(gaugeMaxCarrySeconds: Int64) { self.gaugeMaxCarrySeconds = gaugeMaxCarrySeconds }

    /// A gauge's value holds from its sample to the next in-order sample, for at most
    /// `gaugeMaxCarrySeconds`; this adds value x overlap to every bucket the interval touches.
    mutating func addIntegral(_ series: SeriesID, value: Int64, from: Int64, to end: Int64) {
        for grain in Grain.allCases {
            var start = grain.bucketStart(containing: from)
            while start < end {
                let bucketEnd = grain.bucketEnd(startingAt: start)
                let overlap = min(bucketEnd, end) - max(start, from)
                if overlap > 0 {
                    rows[RowID(series: series, grain: grain, bucketStart: start), default: Row()].integral
                        += Int128(value) * Int128(overlap)
                }
                start = bucketEnd
            }
        }
    }

    /// Adds the tails of carried gauge values that no later sample can cut short any more.
    mutating func finish(now: Int64, latenessSeconds: Int64, marginSeconds: Int64) {
        for (series, sample) in carry where sample.time + gaugeMaxCarrySeconds + latenessSeconds + marginSeconds <= now {
            addIntegral(series, value: sample.value, from: sample.time, to: sample.time + gaugeMaxCarrySeconds)
        }
    }

    /// Applies one event; returns whether it was counted (false for a duplicate id).
    mutating func apply(_ event: TestEvent) -> Bool {
        if let id = event.id {
            if !seenIDs.insert([event.tenant, event.metric, id]).inserted { return false }
        }
        let series = SeriesID(tenant: event.tenant, metric: event.metric, type: event.type,
                              dimensions: event.dimensions.map { "\($0.0)=\($0.1)" }.sorted())
        if event.type == .gauge, let previous = carry[series], event.timestamp > previous.time {
            addIntegral(series, value: previous.value, from: previous.time,
                        to: min(event.timestamp, previous.time + gaugeMaxCarrySeconds))
        }
        if event.type == .gauge, event.timestamp >= (carry[series]?.time ?? .min) {
            carry[series] = (event.timestamp, event.value)
        }
        for grain in Grain.allCases {
            let id = RowID(series: series, grain: grain, bucketStart: grain.bucketStart(containing: event.timestamp))
            var row = rows[id, default: Row()]
            row.events += 1
            switch event.type {
            case .counter:
                row.sum += Int128(event.value)
            case .gauge:
                row.minimum = min(row.minimum ?? event.value, event.value)
                row.maximum = max(row.maximum ?? event.value, event.value)
                if event.timestamp >= row.latestTime {
                    row.latest = event.value
                    row.latestTime = event.timestamp
                }
            case .set:
                row.members.insert(event.member)
            }
            rows[id] = row
        }
        return true
    }
}
