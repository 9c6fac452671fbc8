import Testing
@testable import MeterConfig

/// `alerts.*`: the webhook needs its secret, and neither secret is ever echoed in an error.
@Suite struct AlertSettingsTests {
    @Test func webhookURLWithoutSecretIsRefusedWithoutEchoingTheURL() throws {
        let url = "https://hooks.example.com/t/tok3n-value"
        let error = try #require(throws: ConfigurationError.self) {
            try DaemonConfiguration.load(file: nil, environment: ["METERD_ALERTS_WEBHOOK_URL": url], flags: CommandLineValues())
        }
        #expect(error.description.contains("alerts.webhook_secret (built-in default): must be set when alerts.webhook_url is"))
        #expect(!error.description.contains("tok3n-value"))
    }

    @Test func secretFromTheEnvironmentIsTakenAndNeverEchoed() throws {
        let settings = try DaemonConfiguration.load(file: nil, environment: [
            "METERD_ALERTS_WEBHOOK_URL": "http://127.0.0.1:9/hook", "METERD_ALERTS_WEBHOOK_SECRET": "hunter2-secret",
        ], flags: CommandLineValues())
        #expect(settings.alerts.webhookSecret == "hunter2-secret")
        let bad = try #require(throws: ConfigurationError.self) {
            try DaemonConfiguration.load(file: nil, environment: [
                "METERD_ALERTS_WEBHOOK_URL": "ftp://hunter2-secret@host/", "METERD_ALERTS_WEBHOOK_SECRET": "hunter2-secret",
            ], flags: CommandLineValues())
        }
        #expect(bad.description.contains("alerts.webhook_url"))
        #expect(!bad.description.contains("hunter2"))
    }

    @Test func retryBoundsAreChecked() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try DaemonConfiguration.load(file: nil, environment: ["METERD_ALERTS_RETRY_MAX_MS": "10"], flags: CommandLineValues())
        }
        #expect(error.description.contains("alerts.retry_max_ms (environment METERD_ALERTS_RETRY_MAX_MS): must be at least alerts.retry_initial_ms"))
    }
}
