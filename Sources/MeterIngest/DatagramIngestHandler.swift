import MeterCore
import NIOCore

/// Parses every datagram of a UDP channel with one `IngestWorker` (policy `.drop`) owned by
/// the channel's event loop. A datagram holds one or more complete lines.
///
/// Publishing happens once per read cycle (`channelReadComplete`), after up to
/// `maxMessagesPerRead x datagramVectorReadMessageCount` datagrams, so the ring's lock is
/// taken once per shard per cycle rather than per datagram; counts reach `IngestStats` at the
/// same moment, so the hot path makes no metric calls.
final class DatagramIngestHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let worker: IngestWorker
    private let stats: IngestStats
    private var reported = IngestCounts()

    init(worker: IngestWorker, stats: IngestStats) {
        self.worker = worker
        self.stats = stats
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let now = wallSeconds()
        envelope.data.withUnsafeReadableBytes { worker.ingest(lines: $0, now: now) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        publish()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        publish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram socket reports errors such as ICMP unreachable; none of them ends the listener.
    }

    private func publish() {
        worker.publish()
        stats.report(.udp, current: worker.counts, reported: &reported)
    }
}

@available(*, unavailable)
extension DatagramIngestHandler: Sendable {}
