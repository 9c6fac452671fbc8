#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded FIFO between callers that must never wait (the ingest path) and one consumer
/// thread that sleeps until there is work. `push` is O(1) and never blocks: when `capacity`
/// elements are waiting it refuses the new one and the caller counts the drop.
///
/// A pthread mutex and condition variable (as `MirrorQueue`): the consumer also sleeps for
/// back-off delays that `close()` must cut short.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: every stored var is read and written only with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var ring: [Element?]
    private var head = 0
    private var count = 0
    private var closing = false
    let capacity: Int
    private let depthChanged: @Sendable (Int) -> Void

    init(capacity: Int, depthChanged: @escaping @Sendable (Int) -> Void = { _ in }) {
        precondition(capacity > 0, "a queue needs room for at least one element")
        self.capacity = capacity
        self.depthChanged = depthChanged
        ring = Array(repeating: nil, count: capacity)
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

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Appends `element`; false (nothing queued) when the queue is full or closed.
    func push(_ element: Element) -> Bool {
        locked {
            guard count < capacity, !closing else { return false }
            ring[(head + count) % capacity] = element
            count += 1
            depthChanged(count)
            pthread_cond_signal(condition)
            return true
        }
    }

    /// The oldest element, waiting for one; nil once the queue is closed and empty.
    func next() -> Element? {
        locked {
            while count == 0 && !closing { pthread_cond_wait(condition, mutex) }
            guard count > 0 else { return nil }
            let element = ring[head]
            ring[head] = nil
            head = (head + 1) % capacity
            count -= 1
            depthChanged(count)
            return element
        }
    }

    /// Sleeps for `duration` or until the queue closes; returns false when it was closed.
    func sleep(_ duration: Duration) -> Bool {
        locked {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let (seconds, attoseconds) = duration.components
            var nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
            deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
            nanoseconds %= 1_000_000_000
            deadline.tv_nsec = nanoseconds
            while !closing {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
            return !closing
        }
    }

    /// Refuses new elements and wakes the consumer: `next()` returns what is left, then nil.
    func close() {
        locked {
            closing = true
            pthread_cond_broadcast(condition)
        }
    }

    var isClosing: Bool { locked { closing } }
    var depth: Int { locked { count } }
}

/// Starts `body` on a new detached thread (libpq and hiredis calls block: never on an event
/// loop or the cooperative pool).
func startThread(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(ThreadBody(body))
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, alertThreadEntry, box.toOpaque())
    precondition(result == 0, "pthread_create failed: \(result)")
    pthread_detach(thread)
}

private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private func alertThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let box = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
    box.body()
    return nil
}
