import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One dedicated POSIX thread that runs the flusher's blocking sink writes, one job at a time.
///
/// The sink's `write` blocks on the network (libpq) for as long as the database takes to
/// answer, or to time out when it is down; Swift concurrency's cooperative pool must never
/// block like that, so the aggregation loop hands each write to this thread and polls the
/// job's result (`FlushAttempt`) on its ticks, collecting new rounds meanwhile.
final class FlushWriterThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopping = false
    }
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    init() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, flushWriterEntry, box.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }

    /// Queues `job`; it runs after the jobs queued before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        state.withLock { $0.jobs.append(job) }
        wakeup.signal()
    }

    /// The thread exits once the queued jobs have run. A job stuck in a write keeps the
    /// (detached) thread until the write returns or times out.
    func stop() {
        state.withLock { $0.stopping = true }
        wakeup.signal()
    }

    fileprivate func run() {
        while true {
            wakeup.wait()
            while let job = state.withLock({ $0.jobs.isEmpty ? nil : $0.jobs.removeFirst() }) {
                job()
            }
            if state.withLock({ $0.stopping && $0.jobs.isEmpty }) { return }
        }
    }
}

/// One sink write handed to the writer thread; the aggregation loop polls `result`.
final class FlushAttempt: Sendable {
    let started: ContinuousClock.Instant
    let rows: Int
    private let outcome = Mutex<Result<Void, any Error>?>(nil)

    init(rows: Int, started: ContinuousClock.Instant) {
        self.rows = rows
        self.started = started
    }

    /// nil while the write runs.
    var result: Result<Void, any Error>? { outcome.withLock { $0 } }

    func finish(_ result: Result<Void, any Error>) {
        outcome.withLock { $0 = result }
    }
}

#if canImport(Glibc)
private func flushWriterEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<FlushWriterThread>.fromOpaque(argument!).takeRetainedValue().run()
    return nil
}
#else
private func flushWriterEntry(_ argument: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    Unmanaged<FlushWriterThread>.fromOpaque(argument).takeRetainedValue().run()
    return nil
}
#endif
