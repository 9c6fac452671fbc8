import Foundation
import MeterPostgres

/// A blocking body run on a thread of its own while the caller goes on; `wait()` returns what it
/// returned or throws what it threw. For the billing run's write of one batch while the next is
/// read: libpq calls block, so they never run on Swift's cooperative pool.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    // Written by the thread before `finished` is signalled, read by `wait()` after it.
    private var result: Result<Value, any Error>?

    init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try body() }
            finished.signal()
        }
        thread.name = "meterd-billing-write"
        thread.start()
    }

    func wait() throws -> Value {
        finished.wait()
        return try result!.get()
    }
}

/// Hands a connection to the one thread that uses it until `BackgroundWork.wait()` returns.
struct ConnectionBox: @unchecked Sendable {
    let connection: PostgresConnection
}

