import Foundation
import Logging
import MeterCore
import MeterIngest
import Testing
@testable import MeterConfig

@Suite struct PrecedenceTests {
    @Test func nothingGivenIsTheBuiltInDefaults() throws {
        #expect(try load() == DaemonSettings())
        #expect(DaemonSettings().engine == EngineConfiguration())
    }

    @Test func flagBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let file = try TemporaryConfigFile("""
            limits:
              max_series_per_tenant: 30
              max_series: 300
            dedup.window_seconds: 3000
            flush_interval: 2.5
            """)
        defer { file.remove() }
        let environment = [
            "METERD_LIMITS_MAX_SERIES_PER_TENANT": "20",
            "METERD_LIMITS_MAX_SERIES": "200",
            "METERD_FLUSH_INTERVAL": "0.5",
        ]
        let settings = try load(file: file.path, environment: environment,
                                flags: ["flush_interval": "0.25"], set: ["limits.max_series_per_tenant=10"])
        #expect(settings.engine.aggregatorLimits.maxSeriesPerTenant == 10)  // flag (--set)
        #expect(settings.engine.aggregatorLimits.maxSeries == 200)          // environment
        #expect(settings.engine.dedupWindowSeconds == 3000)                 // file (flat key)
        #expect(settings.engine.aggregatorLimits.maxValuesPerDimension == 1000)  // default
        #expect(settings.flushInterval == .milliseconds(250))               // dedicated flag

        let withoutFlags = try load(file: file.path, environment: environment)
        #expect(withoutFlags.engine.aggregatorLimits.maxSeriesPerTenant == 20)
        #expect(withoutFlags.flushInterval == .milliseconds(500))
        let fileOnly = try load(file: file.path)
        #expect(fileOnly.engine.aggregatorLimits.maxSeriesPerTenant == 30)
        #expect(fileOnly.engine.aggregatorLimits.maxSeries == 300)
        #expect(fileOnly.flushInterval == .milliseconds(2500))
    }

    @Test func dedicatedFlagBeatsSetAndTheLastSetWins() throws {
        let settings = try load(flags: ["ring.shards": "4"], set: ["ring.shards=2", "udp=127.0.0.1:1", "udp=127.0.0.1:2"])
        #expect(settings.engine.shardCount == 4)
        #expect(settings.udp == ListenAddress(host: "127.0.0.1", port: 2))
    }

    @Test func everyDaemonSettingIsMapped() throws {
        let settings = try load(environment: [
            "METERD_UDP": "[::1]:1", "METERD_TCP": "127.0.0.1:2", "METERD_HTTP": "127.0.0.1:3",
            "METERD_UNIX": "/tmp/m.sock", "METERD_DATA_DIR": "/tmp/d", "METERD_POSTGRES": "host=db",
            "METERD_REDIS": "redis://r", "METERD_LOG_LEVEL": "debug", "METERD_DEBUG_PRINT_ROLLUPS": "yes",
            "METERD_PROTOCOL_MAX_LATENESS_SECONDS": "60", "METERD_PROTOCOL_TENANT_TAG": "org",
            "METERD_RING_BYTES_PER_SHARD": "1048576", "METERD_INGEST_BATCH_BYTES": "32768",
        ])
        #expect(settings.udp == ListenAddress(host: "::1", port: 1))
        #expect(settings.tcp.port == 2 && settings.http.port == 3)
        #expect(settings.unixPath == "/tmp/m.sock" && settings.dataDir == "/tmp/d")
        #expect(settings.postgresURL == "host=db" && settings.redisURL == "redis://r")
        #expect(settings.logLevel == .debug && settings.debugPrintRollups)
        // One key sets both lateness bounds, which the engine requires to be equal.
        #expect(settings.engine.protocolLimits.maxLatenessSeconds == 60)
        #expect(settings.engine.aggregatorLimits.maxLatenessSeconds == 60)
        #expect(settings.engine.protocolLimits.tenantTagKey == "org")
        #expect(settings.engine.bytesPerShard == 1 << 20 && settings.engine.batchBytes == 32768)
    }

    @Test func loadingAgainReReadsTheFile() throws {
        let file = try TemporaryConfigFile("limits.max_series: 5\n")
        defer { file.remove() }
        #expect(try load(file: file.path).engine.aggregatorLimits.maxSeries == 5)
        try Data("limits.max_series: 6\n".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(try load(file: file.path).engine.aggregatorLimits.maxSeries == 6)
    }

    @Test func configFileFromFlagElseEnvironment() {
        #expect(DaemonConfiguration.filePath(flag: "/a.yaml", environment: ["METERD_CONFIG": "/b.yaml"]) == "/a.yaml")
        #expect(DaemonConfiguration.filePath(flag: nil, environment: ["METERD_CONFIG": "/b.yaml"]) == "/b.yaml")
        #expect(DaemonConfiguration.filePath(flag: nil, environment: ["METERD_CONFIG": ""]) == nil)
    }
}
