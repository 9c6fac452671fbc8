import MeterCore
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

    init(worker: IngestWorker, transport: Transport, stats: IngestStats, tracker: ConnectionTracker) {
        self.worker = worker
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
            if worker.offer(line: line, now: now) { return }
            block(now: now)
        }
        pending.append(contentsOf: line)
        pending.append(UInt8(ascii: "\n"))
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
    private func retry() {
        retryScheduled = false
        guard worker.publish() else { return progressAndRetry() }
        while pendingStart < pending.count {
            let end = pending[pendingStart...].firstIndex(of: UInt8(ascii: "\n"))!
            let taken = pending.withUnsafeBytes { bytes in
                worker.offer(line: UnsafeRawBufferPointer(rebasing: bytes[pendingStart ..< end]), now: blockedAt)
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
