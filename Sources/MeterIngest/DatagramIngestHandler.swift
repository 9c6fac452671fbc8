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
    private let maxDatagramBytes: Int
    private var reported = IngestCounts()

    /// - Parameter maxDatagramBytes: the longest datagram taken whole; the receive slots are one
    ///   byte longer, so a datagram that fills its slot was longer and the kernel cut it.
    init(worker: IngestWorker, stats: IngestStats, maxDatagramBytes: Int) {
        self.worker = worker
        self.stats = stats
        self.maxDatagramBytes = maxDatagramBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let now = wallSeconds()
        envelope.data.withUnsafeReadableBytes { bytes in
            guard bytes.count > maxDatagramBytes else {
                worker.ingest(lines: bytes, now: now)
                return
            }
            // Cut by the kernel: a partial last line could parse as a valid but wrong event
            // (a shortened tenant or value), so only complete lines are taken.
            worker.ingest(lines: Self.completeLines(bytes), now: now)
            worker.countRefusal(.datagramTruncated)
        }
    }

    /// The bytes up to and including the last newline (empty when there is none).
    static func completeLines(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            return UnsafeRawBufferPointer(rebasing: bytes[0..<0])
        }
        return UnsafeRawBufferPointer(rebasing: bytes[...newline])
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
