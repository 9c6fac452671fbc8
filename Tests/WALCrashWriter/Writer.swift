#if canImport(Glibc)
import Glibc
#endif
import MeterWAL

// In a file of its own: declarations in main.swift are main-actor code, and these run on plain
// threads (the appenders and the WAL's committer).

/// The payload of entry `index` (the test computes the same bytes).
func crashPayload(_ index: Int) -> [UInt8] {
    let count = 8 + (index * 37) % 3000
    var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    var bytes = [UInt8](repeating: 0, count: count)
    for position in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[position] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}

func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { buffer in _ = write(1, buffer.baseAddress, buffer.count) }
}

/// Appends entries `start`, `start + step`, ... forever. Not main-actor code: it runs on two
/// plain threads, and its callbacks on the WAL's committer thread.
struct Writer: Sendable {
    let wal: WriteAheadLog
    /// Microseconds to sleep after each append (0: none), so commits stay small.
    var pause: UInt32 = 0

    func appendForever(startingAt start: Int, step: Int) {
        var index = start
        while true {
            let bytes = crashPayload(index)
            let entry = index
            do {
                switch try bytes.withUnsafeBytes({ try wal.append($0) }) {
                case .appended(let range):
                    wal.whenDurable(range.end) { result in
                        if case .success = result { say("D \(range.start) \(entry)") }
                    }
                case .full:
                    usleep(1000)
                    continue
                }
            } catch let error as WALError {
                if case .failed = error { failStop(error) }
                say("E \(error)")
                exit(1)
            } catch {
                say("E \(error)")
                exit(1)
            }
            index += step
            if pause > 0 { usleep(pause) }
        }
    }
}


extension Writer {
    /// After a write failed: every later call must fail the same way, and nothing more may
    /// become durable.
    func failStop(_ error: WALError) -> Never {
        let durable = wal.durablePosition
        var problems: [String] = []
        do {
            _ = try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try wal.append($0) }
            problems.append("append succeeded after the failure")
        } catch let again as WALError {
            if again != error { problems.append("append threw \(again)") }
        } catch {
            problems.append("append threw \(error)")
        }
        do {
            try wal.sync()
            problems.append("sync succeeded after the failure")
        } catch {}
        if wal.durablePosition != durable { problems.append("durable position moved") }
        if !wal.statistics.failed { problems.append("statistics.failed is false") }
        if problems.isEmpty {
            say("F \(durable) \(error)")
        } else {
            say("E fail-stop: \(problems.joined(separator: "; "))")
        }
        exit(3)
    }
}

/// Hands a writer and its first index to a pthread.
final class Box: @unchecked Sendable {
    let writer: Writer
    let start: Int
    init(_ writer: Writer, _ start: Int) {
        self.writer = writer
        self.start = start
    }
}

/// Runs `writer.appendForever(startingAt: start, step: 2)` on a new thread.
func startThread(_ writer: Writer, startingAt start: Int) {
    var thread = pthread_t()
    _ = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.writer.appendForever(startingAt: box.start, step: 2)
        return nil
    }, Unmanaged.passRetained(Box(writer, start)).toOpaque())
}
