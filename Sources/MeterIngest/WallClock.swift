#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unix seconds for arrival times and flushes; the coarse clock is enough for one-second
/// resolution and costs no system call on Linux.
@inline(__always)
func wallSeconds() -> Int64 {
    var now = timespec()
    #if os(Linux)
    clock_gettime(CLOCK_REALTIME_COARSE, &now)
    #else
    clock_gettime(CLOCK_REALTIME, &now)
    #endif
    return Int64(now.tv_sec)
}

/// Monotonic seconds, for durations and lags.
@inline(__always)
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
