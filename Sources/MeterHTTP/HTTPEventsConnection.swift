import MeterCore
import MeterIngest
import Metrics
import NIOCore
import NIOHTTP1

/// The `POST /v1/events` half of one HTTP connection: its own `.report` worker, and the one
/// request being queued or awaiting its barrier (the pipeline handler lets one request in at
/// a time, so answers go out in request order). Owned by the channel's event loop.
///
/// Backpressure as in `StreamIngestHandler`: when the ring is full the request keeps its
/// place and retries every `retryInterval`; the connection reads nothing meanwhile (the
/// next request waits in the pipeline). If the events are not all queued within
/// `http_events.queue_timeout_ms` the request is answered 503 and the connection closes,
/// dropping the worker's unpublished records (those events were not taken).
final class HTTPEventsConnection {
    static let retryInterval = TimeAmount.microseconds(500)
    static let retryAfterSeconds = 1

    private struct Pending {
        let batch: HTTPEventBatch
        let barrier: UInt64
        let deadline: NIODeadline
        let answer: (HTTPResponse, _ close: Bool) -> Void
    }

    let endpoint: HTTPEventsEndpoint
    let eventLoop: any EventLoop
    private lazy var worker = endpoint.engine.makeWorker(policy: .report)
    private let converter: HTTPEventLine
    private var reported = IngestCounts()
    private var pending: Pending?
    private var retryScheduled = false
    private var closed = false

    init(endpoint: HTTPEventsEndpoint, eventLoop: any EventLoop) {
        self.endpoint = endpoint
        self.eventLoop = eventLoop
        converter = HTTPEventLine(limits: endpoint.engine.configuration.protocolLimits)
    }

    /// Queues the events of one request; `answer` runs once, on the event loop, with the
    /// response (and whether the connection must close after it).
    func start(events: [Result<JSONValue, RefusalReason>], answer: @escaping (HTTPResponse, _ close: Bool) -> Void) {
        precondition(pending == nil, "one events request at a time per connection")
        let barriers = endpoint.engine.barriers
        let batch = HTTPEventBatch(events: events, converter: converter, source: barriers.makeHTTPSource(),
                                   shardCount: endpoint.engine.ring.shardCount, now: HTTPEventBatch.arrivalTime)
        let loop = eventLoop
        let connection = NIOLoopBound(self, eventLoop: loop)
        let barrier = barriers.register { id, tally, durable in
            loop.execute { connection.value.barrierDone(id, tally: tally, durable: durable) }
        }
        pending = Pending(batch: batch, barrier: barrier,
                          deadline: .now() + .nanoseconds(Int64(endpoint.limits.queueTimeout.components.seconds) * 1_000_000_000
                                                           + endpoint.limits.queueTimeout.components.attoseconds / 1_000_000_000),
                          answer: answer)
        progress()
    }

    /// Queues what it can; on a full ring retries later, until the deadline.
    private func progress() {
        guard let request = pending, !request.batch.isQueued, !closed else { return }
        let done = request.batch.queue(into: worker, barrier: request.barrier)
        endpoint.stats.report(.http, current: worker.counts, reported: &reported)
        if done { return }
        if NIODeadline.now() >= request.deadline {
            abandon(request)
            request.answer(HTTPEventsResponse.error(
                .serviceUnavailable, code: "ring_full",
                message: "meterd could not queue every event within http_events.queue_timeout_ms: the first \(request.batch.offered) of \(request.batch.count) events may have been counted, the rest were not taken; send the request again (events with an id are counted once)",
                extra: [("offered", "\(request.batch.offered)")],
                headers: [("Retry-After", "\(Self.retryAfterSeconds)")]), true)
            return
        }
        guard !retryScheduled else { return }
        retryScheduled = true
        eventLoop.assumeIsolated().scheduleTask(in: Self.retryInterval) {
            self.retryScheduled = false
            self.progress()
        }
    }

    /// Gives up a request whose events were not all queued: its barrier will not complete,
    /// and the shards drop the tallies of its source.
    private func abandon(_ request: Pending) {
        pending = nil
        endpoint.engine.barriers.cancel(request.barrier)
        endpoint.engine.barriers.sourceClosed(request.batch.source)
    }

    private func barrierDone(_ id: UInt64, tally: BarrierTally, durable: Bool) {
        guard let request = pending, request.barrier == id else { return }
        pending = nil
        let outcomes = request.batch.outcomes(tally: tally)
        request.answer(HTTPEventsResponse.outcomes(outcomes, durable: durable), false)
    }

    /// The connection closed: a request still waiting for the ring is given up (its answer
    /// could not be delivered); one already queued completes unseen.
    func connectionClosed() {
        closed = true
        if let request = pending, !request.batch.isQueued { abandon(request) }
    }
}

@available(*, unavailable)
extension HTTPEventsConnection: Sendable {}
