import Benchmark
import Foundation

/// What one group commit pays the disk: pwrite of 4 KiB (or 1 MiB, a typical commit at full
/// speed) at the next offset of a preallocated file, then fdatasync. The raw output's p50 and
/// p99 columns are the fsync latency quoted in docs/benchmarks.md.
func registerSyncLatencyBenchmarks() {
    for (label, bytes) in [("4KiB", 4 << 10), ("1MiB", 1 << 20)] {
        let payload = benchmarkPayload(bytes: bytes)
        let fixture = Fixture<Int32>()
        let fileBytes = 64 << 20
        var offset = 0
        Benchmark("WAL.fdatasync after \(label) write (items: 1)") { _ in
            guard let fd = fixture.value else { fatalError("setup did not run") }
            if offset + bytes > fileBytes { offset = 0 }
            payload.withUnsafeBytes { raw in
                precondition(pwrite(fd, raw.baseAddress!, bytes, off_t(offset)) == bytes, "pwrite failed")
            }
            precondition(fdatasync(fd) == 0, "fdatasync failed")
            offset += bytes
        } setup: {
            fixture.directory = scratchDirectory("sync-\(label)")
            let fd = open(fixture.directory + "/file", O_WRONLY | O_CREAT | O_TRUNC, 0o640)
            precondition(fd >= 0, "open failed")
            _ = posix_fallocate(fd, 0, off_t(fileBytes))
            precondition(fsync(fd) == 0, "fsync failed")
            fixture.value = fd
            offset = 0
        } teardown: {
            if let fd = fixture.value { close(fd) }
            fixture.value = nil
            removeScratch(fixture.directory)
        }
    }
}
