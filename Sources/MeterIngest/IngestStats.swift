import MeterCore
import Synchronization

/// Totals of every ingest worker, per transport, readable from any thread.
///
/// Workers are owned by event loops and are not thread-safe, so each handler reports the
/// difference since its previous report, once per read (never per line): one lock per read.
public final class IngestStats: Sendable {
    private let totals = Mutex<[IngestCounts]>(Transport.allCases.map { _ in IngestCounts() })
    /// Datagrams the kernel dropped before meterd could read them (the UDP listener sets the port).
    public let kernelUDPDrops = KernelUDPDrops()

    public init() {}

    /// Adds `current - reported` to the totals of `transport` and sets `reported = current`.
    public func report(_ transport: Transport, current: IngestCounts, reported: inout IngestCounts) {
        if current == reported { return }
        let previous = reported
        totals.withLock { totals in
            totals[transport.rawValue].add(current, minus: previous)
        }
        reported = current
    }

    /// A copy of the totals of `transport`.
    public func totals(_ transport: Transport) -> IngestCounts {
        totals.withLock { $0[transport.rawValue] }
    }
}

extension IngestCounts {
    /// Adds `current - previous`, field by field.
    mutating func add(_ current: IngestCounts, minus previous: IngestCounts) {
        lines += current.lines - previous.lines
        enqueued += current.enqueued - previous.enqueued
        droppedRingFull += current.droppedRingFull - previous.droppedRingFull
        droppedOversized += current.droppedOversized - previous.droppedOversized
        for reason in RefusalReason.allCases {
            refusals[reason] += current.refusals[reason] - previous.refusals[reason]
        }
    }
}
