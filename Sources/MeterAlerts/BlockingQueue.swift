import MeterCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded FIFO between callers that must never wait (the ingest path) and one consumer
/// thread that sleeps until there is work. `push` is O(1) and never blocks: when `capacity`
/// elements are waiting it refuses the new one and the caller counts the drop.
///
/// A `ConditionLock` (as `MirrorQueue`): the consumer also sleeps for back-off delays that
/// `close()` must cut short.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: every stored var is read and written only with `lock` held.
    private let lock = ConditionLock()
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
    }

    /// Appends `element`; false (nothing queued) when the queue is full or closed.
    func push(_ element: Element) -> Bool {
        lock.locked {
            guard count < capacity, !closing else { return false }
            ring[(head + count) % capacity] = element
            count += 1
            depthChanged(count)
            lock.signal()
            return true
        }
    }

    /// The oldest element, waiting for one; nil once the queue is closed and empty.
    func next() -> Element? {
        lock.locked {
            while count == 0 && !closing { lock.wait() }
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
        lock.locked {
            let deadline = ConditionLock.deadline(after: duration)
            while !closing {
                if !lock.wait(until: deadline) { break }
            }
            return !closing
        }
    }

    /// Refuses new elements and wakes the consumer: `next()` returns what is left, then nil.
    func close() {
        lock.locked {
            closing = true
            lock.broadcast()
        }
    }

    var isClosing: Bool { lock.locked { closing } }
    var depth: Int { lock.locked { count } }
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
