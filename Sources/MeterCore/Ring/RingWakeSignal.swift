#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex and condition variable that lets a shard's consumer sleep until a
/// producer pushes, instead of spinning or polling.
///
/// `Synchronization.Mutex` cannot be waited on, hence this separate pair. It is only used
/// when a consumer actually waits: producers take it only after seeing a registered waiter
/// under the shard's lock (see `RingShard.waitForRecords`), so the push path pays nothing
/// while consumers are busy.
///
/// `@unchecked Sendable`: the pointers are set once in `init` and only handed to the pthread
/// functions, which do their own synchronization.
final class RingWakeSignal: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        var result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
        #if canImport(Darwin)
        result = pthread_cond_init(condition, nil)
        #else
        // Deadlines on the monotonic clock, so a wall-clock step cannot stretch a wait.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        result = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #endif
        precondition(result == 0, "pthread_cond_init failed: \(result)")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the signal's mutex; `wait` may only be called inside it.
    func withLock<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Wakes every waiter. Takes the mutex so that a consumer between registering and
    /// sleeping (it holds the mutex all that time) cannot miss the wake-up.
    func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps, releasing the mutex, until a broadcast, `remaining` elapses, or a spurious
    /// wake-up. The caller holds the mutex (inside `withLock`) and rechecks its condition.
    func wait(atMost remaining: Duration) {
        // Cap one sleep at a day: the caller loops to its own deadline, and the cap keeps
        // the timespec arithmetic far from overflow for absurd timeouts.
        let capped = min(max(remaining, .zero), .seconds(86_400))
        let (seconds, attoseconds) = capped.components
        let nanoseconds = Int(attoseconds / 1_000_000_000)
        #if canImport(Darwin)
        var relative = timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds)
        _ = pthread_cond_timedwait_relative_np(condition, mutex, &relative)
        #else
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += Int(seconds)
        deadline.tv_nsec += nanoseconds
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        _ = pthread_cond_timedwait(condition, mutex, &deadline)
        #endif
    }
}
