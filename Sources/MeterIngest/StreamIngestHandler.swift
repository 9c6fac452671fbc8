import MeterCore
import Metrics
import NIOCore

/// One TCP or Unix stream connection: frames lines with a `StreamLineFramer` and parses them
/// with its own `IngestWorker` (policy `.report`), both owned by the channel's event loop.
///
/// Backpressure: when the ring cannot take a batch, the handler stops reading (it holds back
/// the `read` event, so with `autoRead` NIO stops pulling from the socket and the kernel's
/// window closes on the sender), keeps the lines it could not queue, and retries on a
/// scheduled task every `retryInterval` until everything is in the ring; then it reads again.
/// The event loop is never blocked, and no line the connection delivered is lost: lines that
/// arrive while blocked (the rest of the current read cycle) are kept in order, so the
/// memory held is bounded by one read cycle plus one batch per shard.
final class StreamIngestHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// One sync barrier of this connection, answered in order once `result` is known.
    private struct Barrier {
        let id: UInt64
        let token: String
        let counts: IngestCounts
        let started: UInt64
        var answer: String?
        /// An entitlement check: its answer is computed when the answers before it are out.
        var check: (@Sendable () -> String)? = nil
    }

    static let retryInterval = TimeAmount.microseconds(500)

    private let worker: IngestWorker
    private let transport: Transport
    private let stats: IngestStats
    private let tracker: ConnectionTracker
    private var framer: StreamLineFramer
    private var reported = IngestCounts()

    /// Complete lines not yet offered to the worker, each followed by `\n`, from `pendingStart`.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// Arrival time given to pending lines: when the connection became blocked.
    private var blockedAt: Int64 = 0
    private var blocked = false
    private var retryScheduled = false
    /// A `read` held back while blocked.
    private var readHeld = false
    private var inactive = false
    private var opened = false
    private var finished = false
    private var eventLoop: (any EventLoop)?
    private var context: ChannelHandlerContext?
    private let barriers: BarrierBoard
    /// Barriers not yet answered, oldest first (at most `SyncBarrier.maxOutstanding`).
    private var outstanding: [Barrier] = []
    /// The barrier whose marker is being offered (the ring was full), if any.
    private var offering: Barrier?
    /// The worker's counts at the previous barrier.
    private var countsAtBarrier = IngestCounts()

    static let barrierSeconds = Metrics.Timer(label: "meterd_sync_barrier_seconds")
    static let barriersAnswered = Counter(label: "meterd_sync_barriers_total")

    private let entitlementCheck: EntitlementCheck?
    static let checksAnswered = Counter(label: "meterd_stream_checks_total")

    init(worker: IngestWorker, transport: Transport, stats: IngestStats, tracker: ConnectionTracker, barriers: BarrierBoard,
         entitlementCheck: EntitlementCheck? = nil) {
        self.worker = worker
        self.entitlementCheck = entitlementCheck
        self.barriers = barriers
        worker.source = barriers.makeSource()
        self.transport = transport
        self.stats = stats
        self.tracker = tracker
        framer = StreamLineFramer(limits: worker.parser.limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        eventLoop = context.eventLoop
    }

    func channelActive(context: ChannelHandlerContext) {
        opened = true
        if !tracker.opened(context.channel) {
            context.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = wallSeconds()
        buffer.withUnsafeReadableBytes { chunk in
            framer.feed(chunk, { line in self.take(line, now: now) },
                        onOverlong: { self.worker.countRefusal(.lineTooLong) })
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !blocked && !worker.publish() { block(now: wallSeconds()) }
        stats.report(transport, current: worker.counts, reported: &reported)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if blocked {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
        barriers.sourceClosed(worker.source)
        tracker.closed(context.channel)
        // A final line without a terminator counts when the sender closed the stream, not
        // when the daemon closed it during shutdown (it may be cut short).
        if !tracker.isShuttingDown {
            let now = wallSeconds()
            framer.finish { line in self.take(line, now: now) }
        }
        if !blocked && !worker.publish() { block(now: wallSeconds()) }
        if !blocked { finish() }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Connection errors (reset by peer) end the connection; what it delivered is kept.
        context.close(promise: nil)
    }

    /// Queues `line`, or keeps it (in order) once the connection is blocked.
    private func take(_ line: UnsafeRawBufferPointer, now: Int64) {
        if !blocked {
            if offer(line: line, now: now) { return }
            block(now: now)
        }
        pending.append(contentsOf: line)
        pending.append(UInt8(ascii: "\n"))
    }

    /// A metric line to the worker, or a barrier request. False: declined (ring full or too
    /// many barriers outstanding), offer the same line again later.
    private func offer(line: UnsafeRawBufferPointer, now: Int64) -> Bool {
        if line.first == UInt8(ascii: "#") {
            if let request = SyncBarrier.parse(line) { return offerBarrier(request) }
            if let request = CheckCommand.parse(line) { return offerCheck(request) }
        }
        return worker.offer(line: line, now: now)
    }

    private func offerBarrier(_ request: SyncBarrier.Request) -> Bool {
        if offering == nil {
            guard outstanding.count < SyncBarrier.maxOutstanding else { return false }
            switch request {
            case .malformed(let reason):
                outstanding.append(Barrier(id: 0, token: "", counts: IngestCounts(), started: 0,
                                           answer: "#error \(reason)"))
                writeAnswers()
                return true
            case .sync(let token):
                let counts = worker.counts.since(countsAtBarrier)
                countsAtBarrier = worker.counts
                let loop = eventLoop!
                let handler = NIOLoopBound(self, eventLoop: loop)
                let barrier = barriers.register { id, tally, durable in
                    loop.execute { handler.value.barrierDone(id, tally: tally, durable: durable) }
                }
                offering = Barrier(id: barrier, token: token, counts: counts, started: NIODeadline.now().uptimeNanoseconds)
            }
        }
        guard let barrier = offering, worker.offerMarker(barrier: barrier.id) else { return false }
        offering = nil
        outstanding.append(barrier)
        return true
    }

    /// Queues a `#check`'s answer behind the answers before it; computed when they are out,
    /// so a check after a `#sync` sees what the sync covered.
    private func offerCheck(_ request: CheckCommand.Request) -> Bool {
        // A barrier still waiting for ring space goes first, and the bound holds for checks too.
        guard offering == nil, outstanding.count < SyncBarrier.maxOutstanding else { return false }
        var entry = Barrier(id: 0, token: "", counts: IngestCounts(), started: 0, answer: nil)
        switch request {
        case .malformed(let reason):
            entry.answer = "#error \(reason)"
        case .check(let tenant, let metric):
            if let entitlementCheck {
                entry.check = { entitlementCheck(tenant, metric) }
            } else {
                entry.answer = "#error check_unavailable"
            }
        }
        outstanding.append(entry)
        Self.checksAnswered.increment()
        writeAnswers()
        return true
    }

    /// Every shard reported barrier `id` of this connection; answers go out in request order.
    private func barrierDone(_ id: UInt64, tally: BarrierTally, durable: Bool) {
        guard let index = outstanding.firstIndex(where: { $0.id == id }) else { return }
        let barrier = outstanding[index]
        let answer = SyncBarrier.answer(token: barrier.token, parsed: barrier.counts, tally: tally, durable: durable)
        outstanding[index].answer = answer.line
        Self.barrierSeconds.recordNanoseconds(Int64(NIODeadline.now().uptimeNanoseconds &- barrier.started))
        Self.barriersAnswered.increment()
        writeAnswers()
        // A connection blocked at the barrier bound resumes now rather than at its next
        // scheduled retry (which stays scheduled: at most one chain of retries).
        if blocked && outstanding.count < SyncBarrier.maxOutstanding { retry(scheduled: false) }
    }

    /// Writes the answers at the front of `outstanding`, in order.
    private func writeAnswers() {
        var wrote = false
        while let first = outstanding.first, let answer = first.answer ?? first.check?() {
            outstanding.removeFirst()
            if let context, !inactive {
                var buffer = context.channel.allocator.buffer(capacity: answer.utf8.count + 1)
                buffer.writeString(answer)
                buffer.writeInteger(UInt8(ascii: "\n"))
                context.write(wrapOutboundOut(buffer), promise: nil)
                wrote = true
            }
        }
        if wrote, let context { context.flush() }
    }

    private func block(now: Int64) {
        if !blocked {
            blocked = true
            blockedAt = now
        }
        scheduleRetry()
    }

    private func scheduleRetry() {
        guard !retryScheduled, let eventLoop else { return }
        retryScheduled = true
        eventLoop.assumeIsolated().scheduleTask(in: Self.retryInterval) { self.retry() }
    }

    /// Pushes the rest of the batches, then the pending lines, then resumes reading.
    private func retry(scheduled: Bool = true) {
        if scheduled { retryScheduled = false }
        guard worker.publish() else { return progressAndRetry() }
        while pendingStart < pending.count {
            let end = pending[pendingStart...].firstIndex(of: UInt8(ascii: "\n"))!
            let taken = pending.withUnsafeBytes { bytes in
                offer(line: UnsafeRawBufferPointer(rebasing: bytes[pendingStart ..< end]), now: blockedAt)
            }
            guard taken else { return progressAndRetry() }
            pendingStart = end + 1
        }
        pending.removeAll(keepingCapacity: true)
        pendingStart = 0
        guard worker.publish() else { return progressAndRetry() }
        blocked = false
        stats.report(transport, current: worker.counts, reported: &reported)
        if inactive {
            finish()
        } else if readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    private func progressAndRetry() {
        stats.report(transport, current: worker.counts, reported: &reported)
        scheduleRetry()
    }

    private func finish() {
        guard opened, !finished else { return }
        finished = true
        stats.report(transport, current: worker.counts, reported: &reported)
        tracker.finished()
    }
}

@available(*, unavailable)
extension StreamIngestHandler: Sendable {}
