extension ShardAggregator {
    /// Appends, for every series `includes` accepts, the deltas its changed buckets would emit
    /// at the next `collectDeltas`, without marking anything flushed or retiring anything: what
    /// this aggregator holds that no collect has handed out yet (docs/queries.md). Like every
    /// method here it must run on the aggregator's owner (the shard thread).
    ///
    /// A gauge's carried tail that `collectDeltas` would close is not included: it is not part
    /// of the integral until then, here or in storage.
    /// - Parameter includes: sees each series' canonical key (`SeriesKey.decode`).
    public func peekDeltas(where includes: ([UInt8]) -> Bool, into deltas: inout [RollupDelta]) {
        for position in series.indices where includes(series[position].key) {
            for bucket in series[position].buckets.indices where series[position].buckets[bucket].dirty {
                deltas.append(unflushedDelta(series: position, bucket: bucket))
            }
        }
    }
}

extension ShardAggregator {
    /// `peekDeltas` for the series of `selection`.
    public func peekDeltas(of selection: SeriesSelection, into deltas: inout [RollupDelta]) {
        peekDeltas(where: { selection.matches($0) }, into: &deltas)
    }
}
