import Configuration
import Testing
@testable import MeterConfig

@Suite struct NamingTests {
    @Test func environmentNamesArePrefixedUpperCasedWithUnderscores() {
        #expect(Setting.named("udp")?.environmentName == "METERD_UDP")
        #expect(Setting.named("flush_interval")?.environmentName == "METERD_FLUSH_INTERVAL")
        #expect(Setting.named("limits.max_series_per_tenant")?.environmentName == "METERD_LIMITS_MAX_SERIES_PER_TENANT")
        #expect(Setting.named("ring.shards")?.environmentName == "METERD_RING_SHARDS")
        #expect(Setting.named("postgres")?.environmentName == "METERD_POSTGRES")
    }

    /// The documented names are the ones swift-configuration's environment provider looks up.
    @Test(arguments: Setting.all.map(\.key))
    func environmentNameIsWhatTheProviderReads(key: String) throws {
        let setting = try #require(Setting.named(key))
        let provider = EnvironmentVariablesProvider(environmentVariables: [setting.environmentName: "x"]).prefixKeys(with: "meterd")
        let result = try provider.value(forKey: AbsoluteConfigKey(setting.components), type: .string)
        #expect(result.value?.content == .string("x"))
        #expect(result.encodedKey == setting.environmentName)
    }

    @Test func keysAndEnvironmentNamesAreDistinct() {
        #expect(Set(Setting.all.map(\.key)).count == Setting.all.count)
        #expect(Set(Setting.all.map(\.environmentName)).count == Setting.all.count)
        let flags = Setting.all.compactMap(\.flag)
        #expect(Set(flags).count == flags.count)
    }

    /// scripts/test.sh exports these for the test servers: they must not configure a daemon.
    @Test func testScriptVariablesAreNotSettings() throws {
        let settings = try load(environment: [
            "METERD_POSTGRES_URL": "postgresql://x@127.0.0.1:1/x", "METERD_REDIS_URL": "redis://127.0.0.1:1",
            "METERD_TEST_POSTGRES_URL": "x", "METERD_TEST_REDIS_URL": "x", "METERD_SERVICES_DIR": "/tmp", "METERD_INSTANCE": "a",
        ])
        #expect(settings == DaemonSettings())
    }

    @Test func aVariableCloseToASettingIsWarnedAbout() {
        #expect(DaemonConfiguration.environmentWarnings([
            "METERD_LIMITS_MAX_SERIES_PER_TENAT": "5", "METERD_UDP": "127.0.0.1:1",
            "METERD_POSTGRES_URL": "x", "METERD_REDIS_URL": "x", "METERD_SERVICES_DIR": "x", "METERD_INSTANCE": "x",
            "METERD_TEST_POSTGRES_URL": "x", "METERD_CONFIG": "x", "PATH": "/bin",
        ]) == [
            "environment variable METERD_LIMITS_MAX_SERIES_PER_TENAT is not a setting and is ignored (did you mean METERD_LIMITS_MAX_SERIES_PER_TENANT?)",
        ])
    }

    @Test func theDaemonFlagsKeepTheirNames() {
        let flags = Dictionary(uniqueKeysWithValues: Setting.all.compactMap { s in s.flag.map { (s.key, $0) } })
        #expect(flags == [
            "udp": "--udp", "tcp": "--tcp", "unix": "--unix", "http": "--http", "data_dir": "--data-dir",
            "flush_interval": "--flush-interval", "postgres": "--postgres", "redis": "--redis",
            "ring.shards": "--shards", "log_level": "--log-level", "debug_print_rollups": "--debug-print-rollups",
        ])
        #expect(Setting.all.filter(\.isSecret).map(\.key).sorted() == ["alerts.webhook_secret", "alerts.webhook_url", "http_auth.tokens", "postgres", "redis"])
    }
}
