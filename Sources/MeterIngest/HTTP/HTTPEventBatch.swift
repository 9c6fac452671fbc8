import MeterCore

/// What became of one event of an HTTP request.
public enum HTTPEventOutcome: Sendable, Hashable {
    case accepted
    case duplicate
    case refused(RefusalReason)
}

/// One `POST /v1/events` request on its way into the engine: its events as lines (or their
/// JSON-shape refusals), queued in request order through a `.report` worker whose source is
/// this request's (`BarrierBoard.makeHTTPSource`), then one barrier marker. Owned by the
/// connection's event loop; not thread-safe.
///
/// Outcomes: the parser's refusals are known when an event is offered; the shards report the
/// rest with the barrier (`BarrierTally.records`: shard and ordinal of each non-accepted
/// record), and `outcomes(tally:)` maps them back to request indices, since the batch knows
/// which of its events went to which shard, in order.
public final class HTTPEventBatch {
    public let source: UInt32
    let lines: [Result<[UInt8], RefusalReason>]
    /// Outcomes known on the event loop (refusals before the ring), by request index.
    var known: [HTTPEventOutcome?]
    /// Per shard, the request indices of the events queued to it, in queue order.
    var queuedByShard: [[Int]]
    /// The next event to offer.
    var next = 0
    var markerQueued = false
    /// The arrival time given to every event of the request.
    let now: Int64

    public init(events: [Result<JSONValue, RefusalReason>], converter: HTTPEventLine, source: UInt32,
                shardCount: Int, now: Int64) {
        self.source = source
        self.now = now
        lines = events.map { event in event.flatMap { converter.line(for: $0) } }
        known = Array(repeating: nil, count: events.count)
        queuedByShard = Array(repeating: [], count: shardCount)
    }

    /// The arrival time to give a request's events: the wall clock in Unix seconds.
    public static var arrivalTime: Int64 { wallSeconds() }

    public var count: Int { lines.count }
    /// Events handed to the worker so far (queued or refused).
    public var offered: Int { next }
    public var isQueued: Bool { markerQueued }

    /// Offers the events not offered yet, then the marker of `barrier`, then publishes.
    /// Returns true once everything (events and marker) is in the ring; false when the ring
    /// is full: call again later (the worker keeps what it already took, in order).
    public func queue(into worker: IngestWorker, barrier: UInt64) -> Bool {
        worker.source = source
        while next < lines.count {
            switch lines[next] {
            case .failure(let reason):
                worker.countRefusal(reason)
                known[next] = .refused(reason)
            case .success(let line):
                let offer = line.withUnsafeBytes { worker.offerReporting(line: $0, now: now) }
                switch offer {
                case .blocked: return false
                case .refused(let reason): known[next] = .refused(reason)
                case .queued(let shard): queuedByShard[shard].append(next)
                }
            }
            next += 1
        }
        if !markerQueued {
            guard worker.offerMarker(barrier: barrier) else { return false }
            markerQueued = true
        }
        return worker.publish()
    }

    /// Every event's outcome, in request order, from the shards' report of the barrier.
    /// Events queued that the shards did not report are accepted.
    public func outcomes(tally: BarrierTally) -> [HTTPEventOutcome] {
        var outcomes = known.map { $0 ?? .accepted }
        for record in tally.records {
            guard queuedByShard.indices.contains(record.shard),
                  queuedByShard[record.shard].indices.contains(record.ordinal) else { continue }
            let index = queuedByShard[record.shard][record.ordinal]
            switch record.outcome {
            case .accepted: outcomes[index] = .accepted
            case .duplicate: outcomes[index] = .duplicate
            case .refused(let reason): outcomes[index] = .refused(reason)
            }
        }
        return outcomes
    }
}
