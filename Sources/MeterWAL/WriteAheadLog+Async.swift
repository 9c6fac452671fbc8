extension WriteAheadLog {
    /// Suspends (without blocking a thread) until everything before `lsn` is durable; returns
    /// the durable LSN. For async callers, e.g. the HTTP ingestion handler; built on
    /// `whenDurable`. Throws what `waitDurable(upTo:)` throws.
    @discardableResult
    public func durable(upTo lsn: Int64) async throws -> Int64 {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
            whenDurable(lsn) { result in continuation.resume(with: result.mapError { $0 as any Error }) }
        }
    }
}
