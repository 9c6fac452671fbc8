import Benchmark
import Foundation

/// The reference: the same bytes as the append benchmarks, written with plain pwrite(2) into
/// a preallocated 64 MiB file, no checksum, no fsync (so this is the page cache's speed, the
/// most any log could reach without durability).
func registerWriteBaselineBenchmarks() {
    for (label, bytes, items) in [("64KiB", 64 << 10, 256), ("4KiB", 4 << 10, 4096)] {
        let payload = benchmarkPayload(bytes: bytes)
        let fixture = Fixture<Int32>()
        let fileBytes = 64 << 20
        Benchmark("Baseline.write \(label) no fsync (items: \(items))") { _ in
            guard let fd = fixture.value else { fatalError("setup did not run") }
            payload.withUnsafeBytes { raw in
                var offset = 0
                for _ in 0..<items {
                    if offset + bytes > fileBytes { offset = 0 }
                    precondition(pwrite(fd, raw.baseAddress!, bytes, off_t(offset)) == bytes, "pwrite failed")
                    offset += bytes
                }
            }
        } setup: {
            fixture.directory = scratchDirectory("write-\(label)")
            let fd = open(fixture.directory + "/file", O_WRONLY | O_CREAT | O_TRUNC, 0o640)
            precondition(fd >= 0, "open failed")
            _ = posix_fallocate(fd, 0, off_t(fileBytes))
            fixture.value = fd
        } teardown: {
            if let fd = fixture.value { close(fd) }
            fixture.value = nil
            removeScratch(fixture.directory)
        }
    }
}
