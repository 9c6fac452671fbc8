#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with one condition variable timed on the monotonic clock: for a consumer
/// thread that sleeps until work arrives, its queue closes, or a back-off delay ends
/// (`Synchronization.Mutex` cannot wait). The bounded queues of the alert sinks and the Redis
/// mirror are built on it.
public final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pthread objects are only used through their own locking functions.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    public func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// With the lock held: waits for a signal (wake-ups may be spurious: re-check and loop).
    public func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// With the lock held: waits for a signal or until `deadline`; false once it has passed.
    public func wait(until deadline: timespec) -> Bool {
        var deadline = deadline
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }

    /// With the lock held: wakes one waiter.
    public func signal() { pthread_cond_signal(condition) }

    /// With the lock held: wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(condition) }

    /// The monotonic-clock instant `duration` from now, for `wait(until:)`.
    public static func deadline(after duration: Duration) -> timespec {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let (seconds, attoseconds) = duration.components
        var nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        return deadline
    }
}
