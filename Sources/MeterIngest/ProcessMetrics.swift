import Metrics
import Synchronization

/// Exports `ProcessStats` under the conventional Prometheus names (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, ...), refreshed with the other metrics.
final class ProcessMetrics: Sendable {
    private let cpu = FloatingPointCounter(label: "process_cpu_seconds_total")
    private let resident = Gauge(label: "process_resident_memory_bytes")
    private let virtual = Gauge(label: "process_virtual_memory_bytes")
    private let threads = Gauge(label: "process_threads")
    private let startTime = Gauge(label: "process_start_time_seconds")
    private let openFDs = Gauge(label: "process_open_fds")
    private let maxFDs = Gauge(label: "process_max_fds")
    /// CPU seconds already added to the counter.
    private let reportedCPU = Mutex<Double>(0)

    func refresh() {
        guard let stats = ProcessStats.current() else { return }
        reportedCPU.withLock { reported in
            if stats.cpuSeconds > reported {
                cpu.increment(by: stats.cpuSeconds - reported)
                reported = stats.cpuSeconds
            }
        }
        resident.record(stats.residentBytes)
        virtual.record(stats.virtualBytes)
        threads.record(stats.threads)
        startTime.record(stats.startTimeSeconds)
        if let open = stats.openFileDescriptors { openFDs.record(open) }
        if let limit = stats.maxFileDescriptors { maxFDs.record(limit) }
    }
}
