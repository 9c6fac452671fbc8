
extension RollupDelta {
    /// Folds a later delta of the same row into this one, with the rules of `RollupValue.apply`,
    /// so that applying the folded delta equals applying both in order: additive fields add,
    /// extremes combine, latest goes to the later time with ties to the later delta, and the new
    /// set members are concatenated (the database ignores members it already holds).
    ///
    /// Needed because one `INSERT ... ON CONFLICT DO UPDATE` may not touch the same row twice,
    /// and so that what waits for the database is bounded by rows, not rounds (`PendingRollups`).
    /// Set members stay exact: every member of both deltas is kept (none is counted here).
    public mutating func fold(_ later: RollupDelta) {
        precondition(later.seriesKey == seriesKey && later.grain == grain && later.bucketStart == bucketStart
                     && later.type == type, "folding deltas of different rows")
        events += later.events
        sum.add(later.sum)
        integral.add(later.integral)
        if let value = later.minimum { minimum = Swift.min(minimum ?? value, value) }
        if let value = later.maximum { maximum = Swift.max(maximum ?? value, value) }
        if let value = later.latest, latest == nil || later.latestTime >= latestTime {
            latest = value
            latestTime = later.latestTime
        }
        newMembers.append(contentsOf: later.newMembers)
    }
}
