@testable import MeterIngest
import Testing

@Suite struct ProcessStatsTests {
    // A command name with a space and a parenthesis: fields count from the last ')'.
    static let stat = "4242 (meterd (x) y) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 50 0 0 20 0 17 0 1000 "
        + "1182896128 7683 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0"

    @Test func parsesCPUMemoryThreadsAndStartTime() throws {
        let stats = try #require(ProcessStats.parse(stat: Self.stat, clockTicksPerSecond: 100, pageBytes: 4096,
                                                    bootTime: 1_700_000_000))
        #expect(stats.cpuSeconds == 3.0)                  // (250 + 50) ticks / 100
        #expect(stats.threads == 17)
        #expect(stats.startTimeSeconds == 1_700_000_010)  // boot + 1000 ticks / 100
        #expect(stats.virtualBytes == 1_182_896_128)
        #expect(stats.residentBytes == 7683 * 4096)
    }

    @Test func refusesTruncatedOrNamelessInput() {
        #expect(ProcessStats.parse(stat: "4242 meterd S 1", clockTicksPerSecond: 100, pageBytes: 4096, bootTime: 0) == nil)
        #expect(ProcessStats.parse(stat: "4242 (meterd) S 1 2 3", clockTicksPerSecond: 100, pageBytes: 4096, bootTime: 0) == nil)
        #expect(ProcessStats.parse(stat: Self.stat, clockTicksPerSecond: 0, pageBytes: 4096, bootTime: 0) == nil)
    }

    @Test func readsBootTimeFromProcStat() {
        #expect(ProcessStats.bootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n") == 1_700_000_000)
        #expect(ProcessStats.bootTime("cpu  1 2 3\n") == nil)
    }

    @Test func readsThisProcess() throws {
        let stats = try #require(ProcessStats.current())
        #expect(stats.residentBytes > 0)
        #expect(stats.threads >= 1)
        #expect((stats.openFileDescriptors ?? 0) >= 3)
        #expect((stats.maxFileDescriptors ?? 0) >= (stats.openFileDescriptors ?? 0))
    }
}
