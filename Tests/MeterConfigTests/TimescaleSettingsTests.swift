import MeterPostgres
import Testing
@testable import MeterConfig

/// The `timescaledb.*` keys: intervals of one number and one unit, `off` where it disables.
@Suite struct TimescaleSettingsTests {
    @Test func intervalsAndOffAreStoredInSchemaOptions() throws {
        let file = try TemporaryConfigFile("""
            timescaledb:
              chunk_interval_hourly: 1 day
              compress_after: off
              hourly_retention: 90 days
            """)
        defer { file.remove() }
        let settings = try load(file: file.path, environment: ["METERD_TIMESCALEDB_CHUNK_INTERVAL_MONTHLY": "2 Years"])
        #expect(settings.schema.chunkIntervalHourly == "1 day")
        #expect(settings.schema.chunkIntervalDaily == SchemaOptions().chunkIntervalDaily)
        #expect(settings.schema.chunkIntervalMonthly == "2 years")
        #expect(settings.schema.compressAfter == nil)
        #expect(settings.schema.hourlyRetention == "90 days")
    }

    @Test(arguments: [
        ("timescaledb.chunk_interval_daily=off", "timescaledb.chunk_interval_daily"),
        ("timescaledb.compress_after=14", "timescaledb.compress_after"),
        ("timescaledb.hourly_retention=0 days", "timescaledb.hourly_retention"),
        ("timescaledb.compress_after=1 fortnight", "timescaledb.compress_after"),
        ("timescaledb.hourly_retention=7 days; DROP TABLE x", "timescaledb.hourly_retention"),
    ])
    func badIntervalsNameTheKey(assignment: String, key: String) {
        let error = configurationError { _ = try load(set: [assignment]) }
        #expect(error?.problems.map(\.key) == [key], "\(String(describing: error))")
        #expect(error?.description.contains("expected a number and a unit") == true)
    }
}
