#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The WAL's pthread mutex and its condition variables (`Synchronization.Mutex` cannot be
/// waited on). Every field of `WriteAheadLog`'s shared state is read and written only while
/// holding it.
///
/// `@unchecked Sendable`: the pointers are set once in `init` and only handed to the pthread
/// functions, which do their own synchronization.
final class WALLock: @unchecked Sendable {
    /// A condition variable tied to this lock.
    struct Condition: @unchecked Sendable {
        fileprivate let pointer: UnsafeMutablePointer<pthread_cond_t>
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var conditions: [UnsafeMutablePointer<pthread_cond_t>] = []

    init() {
        mutex = .allocate(capacity: 1)
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        for condition in conditions {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A new condition variable whose timed waits use the monotonic clock. Call before sharing the lock.
    func makeCondition() -> Condition {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        #if canImport(Darwin)
        let result = pthread_cond_init(condition, nil)
        #else
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        let result = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #endif
        precondition(result == 0, "pthread_cond_init failed: \(result)")
        conditions.append(condition)
        return Condition(pointer: condition)
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Sleeps (the lock held by the caller is released meanwhile) until signalled or a spurious
    /// wake-up; the caller rechecks its condition.
    func wait(_ condition: Condition) {
        pthread_cond_wait(condition.pointer, mutex)
    }

    /// As `wait`, but for at most `remaining`.
    func wait(_ condition: Condition, atMost remaining: Duration) {
        let capped = min(max(remaining, .zero), .seconds(86_400))
        let (seconds, attoseconds) = capped.components
        let nanoseconds = Int(attoseconds / 1_000_000_000)
        #if canImport(Darwin)
        var relative = timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds)
        _ = pthread_cond_timedwait_relative_np(condition.pointer, mutex, &relative)
        #else
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += Int(seconds)
        deadline.tv_nsec += nanoseconds
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        _ = pthread_cond_timedwait(condition.pointer, mutex, &deadline)
        #endif
    }

    func signal(_ condition: Condition) { pthread_cond_signal(condition.pointer) }
    func broadcast(_ condition: Condition) { pthread_cond_broadcast(condition.pointer) }
}
