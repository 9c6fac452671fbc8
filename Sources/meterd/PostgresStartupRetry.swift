import Logging
import MeterSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Start-up work that cannot go on without PostgreSQL (reading the WAL checkpoint before a
/// replay, loading the saved idempotency keys): retried with backoff (0.2 s doubling, at most
/// 10 s between attempts) while PostgreSQL is unreachable, logging once when it has to wait
/// and once when it may go on. Under systemd each attempt extends the start timeout
/// (`EXTEND_TIMEOUT_USEC`, 30 s beyond the next attempt) and sets the status line, so
/// `TimeoutStartSec` need not cover the outage; meterd is not ready meanwhile.
enum PostgresStartupRetry {
    static let firstDelaySeconds = 0.2
    static let maxDelaySeconds = 10.0

    /// Runs `attempt` until it succeeds. `waiting` is the warning logged at the first failure,
    /// `status` the systemd status line while waiting, `resumed` the notice after it.
    static func untilDone<Value>(waiting: String, status: String, resumed: String, logger: Logger,
                                 _ attempt: () throws -> Value) -> Value {
        var delay = firstDelaySeconds
        var warned = false
        let notifier = SystemdNotifier()
        while true {
            notifier.notify("EXTEND_TIMEOUT_USEC=\(UInt64((delay + 30) * 1_000_000))")
            do {
                let value = try attempt()
                if warned { logger.notice("\(resumed)") }
                return value
            } catch {
                if !warned {
                    logger.warning("\(waiting)", metadata: ["error": "\(error)"])
                    warned = true
                    notifier.status(status)
                }
                usleep(useconds_t(delay * 1_000_000))
                delay = min(delay * 2, maxDelaySeconds)
            }
        }
    }
}
