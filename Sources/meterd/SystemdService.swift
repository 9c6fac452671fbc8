import Logging
import MeterCore
import MeterIngest
import MeterSystemd
import ServiceLifecycle

/// `Type=notify` support as a service of the group: `READY=1` and a first `STATUS=` once every
/// listener is bound, `WATCHDOG=1` every `watchdogInterval / 2` (when `WatchdogSec=` is set)
/// but only while `LivenessProbe` finds every loop and thread turning (else systemd's watchdog
/// restarts the wedged process),
/// a fresh `STATUS=` every `statusInterval`, and `STOPPING=1` as soon as graceful shutdown
/// starts (it is the last service of the group, so it is told first and returns at once, before
/// the listeners close and the aggregation drains).
///
/// Without `NOTIFY_SOCKET` (run by hand, or not `Type=notify`) it sends nothing and just waits
/// for shutdown.
struct SystemdService: Service {
    var notifier = SystemdNotifier()
    let readiness: Readiness
    let stats: IngestStats
    let liveness: LivenessProbe
    var statusInterval: Duration = .seconds(10)
    let logger: Logger

    func run() async throws {
        guard notifier.isEnabled else {
            try? await gracefulShutdown()
            return
        }
        let watchdogPing = notifier.watchdogInterval.map { $0 / 2 }
        await withGracefulShutdownHandler {
            // Returns (with CancellationError swallowed) when graceful shutdown starts.
            try? await cancelWhenGracefulShutdown { try await self.notify(watchdogPing: watchdogPing) }
        } onGracefulShutdown: { [notifier, logger] in
            report(notifier.stopping(), "STOPPING=1", logger)
        }
    }

    private func notify(watchdogPing: Duration?) async throws {
        // Listeners bind within milliseconds; poll instead of adding a callback to Readiness.
        while !readiness.isReady { try await Task.sleep(for: .milliseconds(10)) }
        report(notifier.ready(), "READY=1", logger)
        report(notifier.status(statusLine()), "STATUS", logger)
        logger.info("systemd notified", metadata: [
            "watchdog.ping_every": "\(watchdogPing.map { "\($0)" } ?? "off")",
        ])

        let clock = ContinuousClock()
        let tick = min(watchdogPing ?? statusInterval, statusInterval)
        var nextStatus = clock.now.advanced(by: statusInterval)
        var wedged: [String] = []
        while true {
            try await Task.sleep(for: tick)
            if watchdogPing != nil {
                let problems = await liveness.problems()
                if problems.isEmpty {
                    report(notifier.watchdog(), "WATCHDOG=1", logger)
                    if !wedged.isEmpty { logger.notice("watchdog pings resumed: every loop turns again") }
                } else if wedged.isEmpty {
                    // One line per episode; systemd kills the process once WatchdogSec passes.
                    logger.critical("watchdog pings withheld: meterd is wedged", metadata: ["problems": "\(problems)"])
                }
                wedged = problems
            }
            if clock.now >= nextStatus {
                report(notifier.status(statusLine()), "STATUS", logger)
                nextStatus = clock.now.advanced(by: statusInterval)
            }
        }
    }

    /// One cheap line: two lock acquisitions per transport.
    func statusLine() -> String {
        var lines = 0
        var enqueued = 0
        for transport in Transport.allCases {
            let totals = stats.totals(transport)
            lines += totals.lines
            enqueued += totals.enqueued
        }
        return "listening; \(lines) lines received, \(enqueued) events queued"
    }
}

/// A failed notification is logged, never fatal.
private func report(_ outcome: SystemdNotifyOutcome, _ what: String, _ logger: Logger) {
    if case .failed(let errno) = outcome {
        logger.warning("sd_notify failed", metadata: ["state": "\(what)", "errno": "\(errno)"])
    }
}
