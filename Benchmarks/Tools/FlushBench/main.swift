// Time to flush N changed series (x 3 grains) to PostgreSQL in one `RollupWriter.write`: the
// client-side encoding alone, a write of new rows (inserts), and a write of the same rows
// again (all conflicts, the steady state of a busy instance). Medians over rounds; each round
// starts from empty tables. Run with `Benchmarks/flush.sh`.
//
// Usage: FlushBench URL [SERIES] [ROUNDS] [counter|mixed]
#if canImport(Glibc)
import Glibc
#endif
import MeterCore
import MeterPostgres

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: FlushBench URL [SERIES] [ROUNDS] [counter|mixed]")
    exit(2)
}
let url = arguments[1]
let seriesCount = arguments.count > 2 ? Int(arguments[2])! : 100_000
let rounds = arguments.count > 3 ? Int(arguments[3])! : 5
let mixed = arguments.count > 4 && arguments[4] == "mixed"

/// Deltas of `count` series, each with one event in the current hour: count x 3 rows.
func makeDeltas(count: Int, mixed: Bool) -> [RollupDelta] {
    var configuration = EngineConfiguration()
    configuration.aggregatorLimits.maxSeriesPerTenant = 1_000
    configuration.aggregatorLimits.maxValuesPerDimension = 1_000
    let engine = MeterEngine(configuration: configuration, hasher: ByteHasher(seed: 1))
    let worker = engine.makeWorker(policy: .wait)
    let now: Int64 = 1_769_855_400
    var deltas: [RollupDelta] = []
    for index in 0..<count {
        let tenant = "tenant-\(index / 100)"
        let series = "model:m\(index % 100),region:eu-west-1"
        let line: String
        switch mixed ? index % 3 : 0 {
        case 0: line = "ai.tokens:1234.5678|c|#tenant:\(tenant),\(series)"
        case 1: line = "storage.gb:42.25|g|#tenant:\(tenant),\(series)"
        default: line = "seats.active:user-\(index)|s|#tenant:\(tenant),\(series)"
        }
        let refusal = line.utf8CString.dropLast().withUnsafeBytes { worker.ingest(line: $0, now: now) }
        precondition(refusal == nil, "refused: \(line) \(refusal!)")
        if index % 10_000 == 9_999 {
            worker.publish()
            engine.drainAndCollectDeltas(now: now, into: &deltas)
        }
    }
    worker.publish()
    engine.drainAndCollectDeltas(now: now + 1, into: &deltas)
    return deltas
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

let deltas = makeDeltas(count: seriesCount, mixed: mixed)
let admin = try PostgresConnection(connectionString: url)
let database = "meterd_flushbench_\(getpid())"
try admin.execute("CREATE DATABASE \(database)")
defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
let connection = try PostgresConnection(connectionString: url, overrides: [("dbname", database)])
try Migrations.apply(on: connection)
let writer = RollupWriter(connection: connection)
let clock = ContinuousClock()
var encode: [Double] = [], insert: [Double] = [], update: [Double] = []
var summary = RollupWriter.Summary()
var position: Int64 = 0
for _ in 0..<rounds {
    try connection.execute("TRUNCATE meterd.usage_hourly, meterd.usage_daily, meterd.usage_monthly, meterd.set_members")
    try connection.execute("VACUUM ANALYZE")
    var bytes = 0
    encode.append(seconds(try clock.measure { bytes = try RollupWriter.encodedCopyBytes(deltas) }))
    position += 1
    insert.append(seconds(try clock.measure { summary = try writer.write(deltas, checkpoint: ("bench", position)) }))
    position += 1
    update.append(seconds(try clock.measure { try writer.write(deltas, checkpoint: ("bench", position)) }))
    precondition(bytes > 0)
}
let format = { (value: Double) in String(Int((value * 1000).rounded())) + " ms" }
print("series \(seriesCount) (\(mixed ? "1/3 counters, gauges, sets" : "counters")), deltas \(deltas.count), "
      + "rows \(summary.rows), members \(summary.members), statements \(summary.statements), rounds \(rounds)")
print("encode (client only)   median \(format(median(encode)))   all \(encode.map(format))")
print("write, new rows        median \(format(median(insert)))   all \(insert.map(format))")
print("write, existing rows   median \(format(median(update)))   all \(update.map(format))")
