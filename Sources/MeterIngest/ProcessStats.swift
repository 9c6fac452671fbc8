#if canImport(Glibc)
import Glibc
#endif

/// The process figures Prometheus clients conventionally export (`process_*`), read from
/// `/proc/self` on Linux: CPU time, memory, threads, file descriptors and start time.
public struct ProcessStats: Sendable, Hashable {
    public var cpuSeconds: Double
    public var residentBytes: Int
    public var virtualBytes: Int
    public var threads: Int
    public var startTimeSeconds: Double
    public var openFileDescriptors: Int?
    public var maxFileDescriptors: Int?

    /// The current figures, or nil where `/proc` is not readable (not Linux, or hidden).
    public static func current() -> ProcessStats? {
        guard let stat = ProcFile.read("/proc/self/stat"), let bootTime = ProcFile.read("/proc/stat").flatMap(bootTime),
              var stats = parse(stat: stat, clockTicksPerSecond: sysconf(Int32(_SC_CLK_TCK)),
                                pageBytes: sysconf(Int32(_SC_PAGESIZE)), bootTime: bootTime) else { return nil }
        stats.openFileDescriptors = countOpenFileDescriptors()
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { stats.maxFileDescriptors = Int(clamping: limit.rlim_cur) }
        return stats
    }

    /// Parses `/proc/self/stat` (proc(5)): the command name is in parentheses and may hold
    /// spaces, so fields are counted from the last `)`. Field 14 utime, 15 stime (clock ticks),
    /// 20 threads, 22 start time (ticks after boot), 23 virtual bytes, 24 resident pages.
    static func parse(stat: String, clockTicksPerSecond: Int, pageBytes: Int, bootTime: Int) -> ProcessStats? {
        guard clockTicksPerSecond > 0, let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Int? { // proc(5) numbering: field 3 is fields[0]
            fields.indices.contains(number - 3) ? Int(fields[number - 3]) : nil
        }
        guard let utime = field(14), let stime = field(15), let threads = field(20), let start = field(22),
              let virtual = field(23), let residentPages = field(24) else { return nil }
        let ticks = Double(clockTicksPerSecond)
        return ProcessStats(cpuSeconds: Double(utime + stime) / ticks, residentBytes: residentPages * pageBytes,
                            virtualBytes: virtual, threads: threads,
                            startTimeSeconds: Double(bootTime) + Double(start) / ticks)
    }

    /// The `btime` line of `/proc/stat`: boot time, Unix seconds.
    static func bootTime(_ procStat: String) -> Int? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst("btime ".count).trimmingPrefix(" "))
        }
        return nil
    }

    private static func countOpenFileDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { $0.prefix { $0 != 0 } }
            if !name.elementsEqual(".".utf8) && !name.elementsEqual("..".utf8) { count += 1 }
        }
        return count - 1  // the directory stream's own descriptor
    }
}
