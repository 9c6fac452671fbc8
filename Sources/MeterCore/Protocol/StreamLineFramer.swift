/// Cuts a byte stream (TCP, Unix stream socket) into lines when a line can span reads.
///
/// Same rules as `LineSplitter`: lines end at `\n`, one trailing `\r` is removed, empty lines
/// are skipped. In addition the framer bounds memory: a line whose content (terminator
/// excluded) is longer than `maxLineBytes` is reported once through `onOverlong` and its bytes
/// are discarded up to the next `\n`, so the stream resynchronises on the following line and
/// a sender can never make the daemon buffer more than `maxLineBytes + 1` bytes.
///
/// The decision does not depend on how the stream is chunked: every line of at most
/// `maxLineBytes` bytes is delivered and every longer line is reported, whatever the read
/// boundaries. Lines that lie entirely inside one chunk are delivered as slices of that
/// chunk (no copy); only a line cut by a read boundary is assembled in the carry buffer,
/// which is allocated once, in `init`.
///
/// One framer serves one stream. It is a value type: copying a framer that holds a partial
/// line copies its carry buffer, so keep one framer per connection rather than passing
/// copies around.
public struct StreamLineFramer: Sendable {
    /// Longest line content delivered; longer lines go to `onOverlong`.
    public let maxLineBytes: Int

    /// The carried partial line: `maxLineBytes + 1` bytes, so a full-length line whose
    /// `\r` arrived before its `\n` still fits.
    @usableFromInline var carry: [UInt8]
    /// Bytes of `carry` in use.
    @usableFromInline var carryCount = 0
    /// True while skipping the rest of an overlong line, up to its `\n`.
    @usableFromInline var discarding = false

    public init(maxLineBytes: Int) {
        let limit = Swift.max(maxLineBytes, 0)
        self.maxLineBytes = limit
        carry = [UInt8](repeating: 0, count: limit + 1)
    }

    public init(limits: ProtocolLimits) {
        self.init(maxLineBytes: limits.maxLineBytes)
    }

    /// Bytes of an unfinished line held until its terminator arrives.
    public var bufferedByteCount: Int { carryCount }

    /// True while the rest of an overlong line is being skipped.
    public var isDiscardingOverlongLine: Bool { discarding }

    /// Consumes `chunk`: calls `onLine` with each complete line (the buffer is valid only
    /// during the call), `onOverlong` once for each line longer than `maxLineBytes`, and keeps
    /// an unterminated tail for the next `feed` or `finish`.
    @inlinable
    public mutating func feed(_ chunk: UnsafeRawBufferPointer,
                              _ onLine: (UnsafeRawBufferPointer) -> Void,
                              onOverlong: () -> Void) {
        let count = chunk.count
        var start = 0
        while start < count {
            let terminator = ByteScan.firstIndex(of: ByteScan.newline, in: chunk, from: start)
            if discarding {
                guard let terminator else { return }
                discarding = false
                start = terminator + 1
                continue
            }
            guard let terminator else {
                carryTail(chunk, start ..< count, onOverlong: onOverlong)
                return
            }
            if carryCount == 0 {
                // The whole line is in this chunk: deliver it in place.
                let length = ByteScan.lengthWithoutCarriageReturn(chunk, start ..< terminator)
                if length > maxLineBytes {
                    onOverlong()
                } else if length > 0 {
                    onLine(UnsafeRawBufferPointer(rebasing: chunk[start ..< start + length]))
                }
            } else {
                completeCarriedLine(with: chunk, start ..< terminator, onLine, onOverlong: onOverlong)
            }
            start = terminator + 1
        }
    }

    /// Ends the stream: delivers a final unterminated line, if any, and resets the framer so
    /// it can serve a new stream.
    @inlinable
    public mutating func finish(_ onLine: (UnsafeRawBufferPointer) -> Void) {
        defer {
            carryCount = 0
            discarding = false
        }
        if discarding || carryCount == 0 { return }
        var length = carryCount
        if carry[length - 1] == ByteScan.carriageReturn { length -= 1 }
        // `carryTail` never keeps more than `maxLineBytes` bytes of content.
        guard length > 0, length <= maxLineBytes else { return }
        carry.withUnsafeBytes { onLine(UnsafeRawBufferPointer(rebasing: $0[0 ..< length])) }
    }

    /// Drops any partial line and leaves discard mode, without delivering anything.
    public mutating func reset() {
        carryCount = 0
        discarding = false
    }

    /// Keeps `range` of `chunk` (a non-empty tail with no `\n`) after the carried bytes, or
    /// reports the line as overlong and starts discarding when it cannot be a valid line.
    @inlinable
    mutating func carryTail(_ chunk: UnsafeRawBufferPointer, _ range: Range<Int>, onOverlong: () -> Void) {
        let total = carryCount + range.count
        // `maxLineBytes + 1` bytes are still fine if the last one is the `\r` of a `\r\n`.
        let lastIsCarriageReturn = !range.isEmpty && chunk[range.upperBound - 1] == ByteScan.carriageReturn
        if total > maxLineBytes + 1 || (total == maxLineBytes + 1 && !lastIsCarriageReturn) {
            onOverlong()
            carryCount = 0
            discarding = true
            return
        }
        append(chunk, range)
    }

    /// Finishes the carried line with `range` of `chunk` (the bytes before its `\n`).
    @inlinable
    mutating func completeCarriedLine(with chunk: UnsafeRawBufferPointer, _ range: Range<Int>,
                                      _ onLine: (UnsafeRawBufferPointer) -> Void, onOverlong: () -> Void) {
        defer { carryCount = 0 }
        let total = carryCount + range.count
        let last = range.isEmpty ? carry[carryCount - 1] : chunk[range.upperBound - 1]
        let length = last == ByteScan.carriageReturn ? total - 1 : total
        if length > maxLineBytes {
            onOverlong()
            return
        }
        if length == 0 { return }
        append(chunk, range)
        carry.withUnsafeBytes { onLine(UnsafeRawBufferPointer(rebasing: $0[0 ..< length])) }
    }

    /// Copies `range` of `chunk` after the carried bytes; the caller has checked it fits.
    @inlinable
    mutating func append(_ chunk: UnsafeRawBufferPointer, _ range: Range<Int>) {
        if range.isEmpty { return }
        let offset = carryCount
        carry.withUnsafeMutableBytes { storage in
            UnsafeMutableRawBufferPointer(rebasing: storage[offset ..< offset + range.count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[range]))
        }
        carryCount = offset + range.count
    }
}
