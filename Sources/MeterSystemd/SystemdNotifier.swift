#if canImport(Glibc)
import Glibc
#endif
internal import CSystemd

/// The result of one notification.
public enum SystemdNotifyOutcome: Sendable, Hashable {
    /// The datagram went to `$NOTIFY_SOCKET`.
    case sent
    /// `NOTIFY_SOCKET` is unset (not started by systemd, or not `Type=notify`): nothing was done.
    case disabled
    /// `sd_notify` failed; the errno it returned (negated back to positive).
    case failed(errno: Int32)
}

/// `Type=notify` support: readiness, status text, stop and reload announcements, and watchdog
/// pings, sent with `sd_notify(0, ...)` (never the variadic `sd_notifyf`). Every call is a no-op
/// returning `.disabled` when `NOTIFY_SOCKET` is unset, so the daemon calls them unconditionally.
///
/// Stateless: reads the environment at each call (`unset_environment` is 0, so children and
/// later calls still see it). Cheap enough for a watchdog timer: one `sendmsg` per call.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Whether `NOTIFY_SOCKET` is set.
    public var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// `READY=1`: start-up (or a reload) finished; systemd marks the unit active.
    @discardableResult
    public func ready() -> SystemdNotifyOutcome { notify("READY=1") }

    /// `STATUS=<text>`: one line shown by `systemctl status`. Newlines would start new
    /// assignments in the datagram (a status could then forge `READY=1`), so they become spaces.
    @discardableResult
    public func status(_ text: String) -> SystemdNotifyOutcome {
        let line = String(text.map { $0.isNewline ? " " : $0 })
        return notify("STATUS=\(line)")
    }

    /// `STOPPING=1`: graceful shutdown began (on SIGTERM, before draining and flushing).
    @discardableResult
    public func stopping() -> SystemdNotifyOutcome { notify("STOPPING=1") }

    /// `WATCHDOG=1`: the keep-alive ping; send it every `watchdogInterval / 2`.
    @discardableResult
    public func watchdog() -> SystemdNotifyOutcome { notify("WATCHDOG=1") }

    /// `RELOADING=1` with `MONOTONIC_USEC` (which `Type=notify-reload`, systemd 253+, requires and
    /// older versions ignore): a reload (SIGHUP) began. Send `ready()` when it is done.
    @discardableResult
    public func reloading() -> SystemdNotifyOutcome {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
        return notify("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }

    /// Sends raw `KEY=VALUE` assignments, newline-separated (see sd_notify(3)).
    @discardableResult
    public func notify(_ state: String) -> SystemdNotifyOutcome {
        guard isEnabled else { return .disabled }
        let result = sd_notify(0, state)
        if result > 0 { return .sent }
        if result == 0 { return .disabled }
        return .failed(errno: -result)
    }

    /// The watchdog timeout systemd expects pings within (`WatchdogSec=`), from `WATCHDOG_USEC`,
    /// when `WATCHDOG_PID` is unset or names this process; nil when the watchdog is off or the
    /// variables are malformed. Ping at half this interval.
    public var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0,
              microseconds <= UInt64(Int64.max) else { return nil }
        return .microseconds(Int64(microseconds))
    }
}
