import Benchmark
import MeterWAL

/// Durable append throughput: one thread appends 16 MiB as entries of 64 KiB (or 4 KiB), then
/// waits until the last one is durable, with the default group commit (2 ms interval, 1 MiB
/// commit bytes, 64 MiB segments), and releases what it wrote so the size bound never bites.
/// The committer syncs while the appender fills the other buffer, as the daemon's receiving
/// threads would. MB/s = items/s x payload size.
///
/// `WAL.append+wait one 4KiB` is the latency of one acknowledgement on an idle log: append,
/// then block until durable (the commit interval plus one write and fdatasync).
func registerAppendBenchmarks() {
    for (label, bytes, items) in [("64KiB", 64 << 10, 256), ("4KiB", 4 << 10, 4096)] {
        let payload = benchmarkPayload(bytes: bytes)
        let fixture = Fixture<WriteAheadLog>()
        Benchmark("WAL.append+durable \(label) (items: \(items))") { _ in
            guard let wal = fixture.value else { fatalError("setup did not run") }
            var last = WALRange(start: 0, end: 0)
            payload.withUnsafeBytes { raw in
                for _ in 0..<items {
                    guard case .appended(let range) = try! wal.append(raw) else { fatalError("WAL full") }
                    last = range
                }
            }
            try! wal.waitDurable(upTo: last.end)
            try! wal.release(upTo: last.end)
        } setup: {
            fixture.directory = scratchDirectory("append-\(label)")
            fixture.value = try WriteAheadLog(directory: fixture.directory)
        } teardown: {
            try fixture.value?.close()
            fixture.value = nil
            removeScratch(fixture.directory)
        }
    }

    let payload = benchmarkPayload(bytes: 4 << 10)
    let fixture = Fixture<WriteAheadLog>()
    Benchmark("WAL.append+wait one 4KiB (items: 1)") { _ in
        guard let wal = fixture.value else { fatalError("setup did not run") }
        let result = payload.withUnsafeBytes { try! wal.append($0) }
        guard case .appended(let range) = result else { fatalError("WAL full") }
        try! wal.waitDurable(upTo: range.end)
        try! wal.release(upTo: range.end)
    } setup: {
        fixture.directory = scratchDirectory("append-one")
        fixture.value = try WriteAheadLog(directory: fixture.directory)
    } teardown: {
        try fixture.value?.close()
        fixture.value = nil
        removeScratch(fixture.directory)
    }
}
