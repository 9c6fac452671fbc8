import Logging
import MeterConfig
import MeterSystemd
import Metrics
import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the configuration (the config file and the environment, under the flags
/// given at start-up) and applies what can change while running (`ReloadPlan`). A reload that
/// fails to load changes nothing and says why; keys that changed but need a restart are named.
/// systemd hears `RELOADING=1` before and `READY=1` after, so `systemctl reload` waits for it.
struct ReloadService: Service {
    /// What applying a reloadable key means in this process.
    struct Appliers: Sendable {
        var logLevel: @Sendable (Logger.Level) -> Void
        var flushInterval: @Sendable (Duration) -> Void
        var cardinalityLimits: @Sendable (DaemonSettings) -> Void
        /// Re-reads the plans file (docs/plans.md); its own errors keep the running catalog.
        var plans: @Sendable () -> Void = {}
    }

    let signals: UnixSignalsSequence
    let load: @Sendable () throws(ConfigurationError) -> DaemonSettings
    let initial: DaemonSettings
    let appliers: Appliers
    var notifier = SystemdNotifier()
    let logger: Logger

    private static let applied = Counter(label: "meterd_config_reloads_total", dimensions: [("result", "applied")])
    private static let failed = Counter(label: "meterd_config_reloads_total", dimensions: [("result", "failed")])

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var current = initial
            for await _ in signals {
                current = reload(current)
            }
        }
    }

    /// One reload; returns the settings in force afterwards.
    func reload(_ current: DaemonSettings) -> DaemonSettings {
        notifier.reloading()
        defer { notifier.ready() }
        let loaded: DaemonSettings
        do {
            loaded = try load()
        } catch {
            Self.failed.increment()
            logger.error("configuration reload failed; the running configuration is unchanged", metadata: [
                "problems": "\(error.problems.map(\.message))",
            ])
            return current
        }
        let plan = ReloadPlan(current: current, loaded: loaded)
        if plan.applied.contains("log_level") { appliers.logLevel(plan.settings.logLevel) }
        if plan.applied.contains("flush_interval") { appliers.flushInterval(plan.settings.flushInterval) }
        if plan.applied.contains(where: { $0.hasPrefix("limits.") }) { appliers.cardinalityLimits(plan.settings) }
        appliers.plans()
        Self.applied.increment()
        var metadata: Logger.Metadata = ["applied": "\(plan.applied)"]
        if !plan.needRestart.isEmpty { metadata["restart_needed_for"] = "\(plan.needRestart)" }
        logger.log(level: plan.needRestart.isEmpty ? .info : .warning, "configuration reloaded", metadata: metadata)
        return plan.settings
    }
}
