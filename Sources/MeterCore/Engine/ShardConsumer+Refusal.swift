extension ShardConsumer {
    /// Refuses the batch `drainOnce(log:)` is holding (its hook refused it) instead of
    /// offering it again: every event record is counted as refused with `reason`, in `counts`
    /// and in its source's tally (so the source's next barrier reports it, as for the
    /// aggregator's own refusals), and every marker is still reported to `onMarker` (the
    /// records before it were logged or are refused here). Nothing is aggregated. Returns how
    /// many records (events and markers) the batch held; 0 when it held none.
    ///
    /// The daemon uses it when the write-ahead log stays full (`wal_full`): the events were not
    /// logged, so they must not be counted, and draining goes on so the ring never stalls.
    @discardableResult
    public func refuseBatch(reason: RefusalReason) -> Int {
        let records = batch.recordCount
        guard records > 0 else { return 0 }
        let outcome = AggregateOutcome.refused(reason)
        batch.forEachRecord { body in
            let source = EventRecord.source(of: body)
            if EventRecord.kind(of: body) == EventRecord.markerKind {
                let tally = sourceTallies.removeValue(forKey: source) ?? BarrierTally()
                onMarker?(source, EventRecord.barrier(ofMarker: body), tally)
                return
            }
            counts.record(outcome)
            tally(outcome, source: source)
        }
        batch.removeAll()
        return records
    }
}
