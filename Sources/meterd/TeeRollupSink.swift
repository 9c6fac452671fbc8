import MeterCore
import MeterIngest

/// Writes to the durable sink first and, only once that succeeded, to the in-memory sink behind
/// `/debug/rollups`, so a failed (and later retried) write is never applied twice in memory.
struct TeeRollupSink: RollupSink {
    let durable: any RollupSink
    let memory: InMemoryRollupSink

    func write(_ deltas: [RollupDelta]) throws {
        try write(deltas, covering: nil)
    }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?) throws {
        try durable.write(deltas, covering: cut)
        try memory.write(deltas)
    }

    func write(_ deltas: [RollupDelta], covering cut: WALCut?, ids: SeenIDs) throws {
        try durable.write(deltas, covering: cut, ids: ids)
        try memory.write(deltas)
    }

    func prepare() throws { try durable.prepare() }
    var committedWrites: Int64? { durable.committedWrites }
}
