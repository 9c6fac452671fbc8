// Bytes of memory per live series: the resident set after creating N series (each with its
// hour, day and month bucket) minus the resident set before, divided by N. Run with
// `Benchmarks/series-memory.sh`.
#if canImport(Glibc)
import Glibc
#endif
import MeterCore

/// Resident bytes of this process, from /proc/self/statm (second field, in pages).
func heapInUse() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { fatalError("cannot read /proc/self/statm") }
    defer { fclose(file) }
    var size = 0
    var resident = 0
    guard withUnsafeMutablePointer(to: &size, { sizePointer in
        withUnsafeMutablePointer(to: &resident) { residentPointer in
            withVaList([sizePointer, residentPointer]) { vfscanf(file, "%ld %ld", $0) }
        }
    }) == 2 else { fatalError("unexpected /proc/self/statm") }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Creates `count` series of `type` (10 metrics per tenant, two dimensions) and returns the
/// heap bytes per series, engine included.
func bytesPerSeries(count: Int, type: MetricType) -> Double {
    let before = heapInUse()
    var configuration = EngineConfiguration()
    configuration.shardCount = 8
    configuration.bytesPerShard = 64 * 1024  // the ring is fixed-size; keep it out of the figure
    configuration.aggregatorLimits.maxSeriesPerTenant = 100
    configuration.dedupWindowSeconds = 0
    let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 1))
    let worker = engine.makeWorker(policy: .wait)
    let now: Int64 = 1_763_000_000
    let letter = type.wireLetter
    let value = type == .set ? "provider-7" : "1234.5"
    for index in 0..<count {
        var line = "metric.\(index % 10):\(value)|\(letter)|#tenant:clinic-\(index / 10),model:gpt-x,channel:api"
        _ = line.withUTF8 { worker.ingest(line: UnsafeRawBufferPointer($0), now: now) }
        if index % 1_000 == 999 {
            worker.publish()
            for shard in 0..<configuration.shardCount { engine.consumer(shard: shard).drainAll() }
        }
    }
    worker.publish()
    for shard in 0..<configuration.shardCount { engine.consumer(shard: shard).drainAll() }
    precondition(engine.limiter.totalSeries == count, "every line must create a series")
    let after = heapInUse()
    withExtendedLifetime((engine, worker)) {}
    return Double(after - before) / Double(count)
}

// One measurement per process: memory freed by an earlier measurement would be reused by a
// later one and hide its cost. `series-memory.sh` runs every combination.
let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[1]), count > 0,
      let type = ["counter": MetricType.counter, "gauge": .gauge, "set": .set][arguments[2]] else {
    print("usage: SeriesMemory COUNT counter|gauge|set")
    exit(2)
}
print(Int(bytesPerSeries(count: count, type: type).rounded()))
