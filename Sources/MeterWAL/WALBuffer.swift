/// One of the two in-memory write buffers: the bytes of the log from `startLSN` on, not yet
/// written to a segment file. Appenders reserve space in the filling buffer under the WAL's
/// lock and copy their entry in after releasing it; the committer takes a buffer only once
/// no appender is still copying into it (`copying == 0`).
///
/// Every field is guarded by the WAL's lock, except the reserved bytes themselves, which
/// belong to the one appender that reserved them until it decrements `copying`.
final class WALBuffer: @unchecked Sendable {
    let capacity: Int
    let storage: UnsafeMutableRawPointer
    /// LSN of the first byte.
    var startLSN: Int64 = 0
    /// Bytes reserved so far.
    var used = 0
    /// Appenders that reserved space and are still copying into it.
    var copying = 0
    /// LSNs in this buffer at which a new segment starts (its 32-byte header is at that LSN).
    var newSegmentBases: [Int64] = []

    init(capacity: Int) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    var endLSN: Int64 { startLSN + Int64(used) }
    var free: Int { capacity - used }

    func reset(startLSN: Int64) {
        self.startLSN = startLSN
        used = 0
        copying = 0
        newSegmentBases.removeAll(keepingCapacity: true)
    }
}
