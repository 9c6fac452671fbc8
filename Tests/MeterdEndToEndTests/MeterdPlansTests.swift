import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The plan book against the real binary (docs/plans.md): the plans file checked at start-up,
/// seeded into PostgreSQL, a subscription set with the documented SQL recipe picked up without
/// a restart, and a bad file on SIGHUP keeping the running catalog.
@Suite(.timeLimit(.minutes(1)))
struct MeterdPlansTests {
    static var shippedPlans: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/plans.yaml")
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func subscriptionSetBySQLReachesTheRunningDaemonAndABadReloadKeepsTheCatalog() throws {
        let plans = FileManager.default.temporaryDirectory.appendingPathComponent("plans-\(UUID().uuidString.prefix(8)).yaml")
        try FileManager.default.copyItem(at: Self.shippedPlans, to: plans)
        defer { try? FileManager.default.removeItem(at: plans) }
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let daemon = try DaemonProcess(arguments: ["--postgres", url, "--set", "plans.file=\(plans.path)",
                                                       "--set", "plans.refresh_seconds=0.2"], unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady(timeout: 20)
            try daemon.poll(timeout: 20, what: "the catalog seeded and read back") {
                try daemon.metric(#"meterd_plan_book_refreshes_total{result="ok"}"#) ?? 0 >= 1
            }
            #expect(try daemon.metric("meterd_plan_book_plans") == 3)
            #expect(try daemon.metric("meterd_plan_book_subscribed_tenants") == 0)
            let database = try connect()
            #expect(try database.execute("SELECT plan_id FROM meterd.plans WHERE source = 'config' ORDER BY plan_id").rows
                .map { $0[0] } == ["enterprise", "professional", "starter"])

            // docs/plans.md "Setting a subscription".
            try database.execute("SELECT meterd.set_subscription('acme', 'professional', p_seats => 12)")
            try daemon.poll(what: "the subscription picked up") { try daemon.metric("meterd_plan_book_subscribed_tenants") == 1 }

            try Data("plans:\n  starter:\n    monthly_price: cheap\n".utf8).write(to: plans)
            kill(daemon.process.processIdentifier, SIGHUP)
            try daemon.poll(what: "the failed plans reload") { try daemon.metric(#"meterd_plan_file_reloads_total{result="failed"}"#) == 1 }
            // Logged as a Swift array of strings (quotes escaped): the line and the reason.
            #expect(daemon.stderr.contains("plans file reload failed") && daemon.stderr.contains(", line 3: plan ")
                && daemon.stderr.contains("monthly_price must be a non-negative decimal"))
            #expect(try daemon.metric("meterd_plan_book_plans") == 3)
            #expect(try daemon.metric("meterd_plan_book_subscribed_tenants") == 1)
            // The plan book's families pass Prometheus' linter (# HELP from MetricHelp).
            if let promtool = MetricsExpositionTests.promtool {
                let check = try MetricsExpositionTests.run(promtool, ["check", "metrics"],
                                                           input: try TestSockets.get(port: daemon.httpPort, "/metrics").body)
                #expect(check.status == 0, "promtool check metrics: \(check.output)")
            }
            #expect(try daemon.terminate() == 0)
        }
    }

    @Test func invalidPlansFileStopsStartUpWithFileLineAndReason() throws {
        let plans = FileManager.default.temporaryDirectory.appendingPathComponent("plans-\(UUID().uuidString.prefix(8)).yaml")
        try Data("plans:\n  starter:\n    pricing: contract\n    included:\n      ai_interactions: -5\n".utf8).write(to: plans)
        defer { try? FileManager.default.removeItem(at: plans) }
        let (status, message) = try DaemonProcess.runUntilExit(["--set", "plans.file=\(plans.path)"])
        #expect(status == 78)
        #expect(message.contains("Error: plans file \(plans.path), line 5: plan 'starter': included.ai_interactions must be a non-negative decimal"), "\(message)")
    }

    /// `meterctl plans check`: validates a file as meterd does, before a reload.
    @Test func meterctlChecksAPlansFile() throws {
        let good = try MeterctlEndToEndTests.meterctl(["plans", "check", Self.shippedPlans.path])
        #expect(good.status == 0, "\(good.err)")
        #expect(good.out.contains("3 plans, prices in USD"))
        #expect(good.out.contains("starter (Starter): 299/month, 2990/year"))
        #expect(good.out.contains("  ai_interactions: 1000 included, overage 0.05 per unit"))
        #expect(good.out.contains("enterprise (Enterprise): contract"))

        let plans = FileManager.default.temporaryDirectory.appendingPathComponent("plans-\(UUID().uuidString.prefix(8)).yaml")
        try Data("plans:\n  starter:\n    pricing: contract\n    overage:\n      sms_messages: 0.02\n".utf8).write(to: plans)
        defer { try? FileManager.default.removeItem(at: plans) }
        let bad = try MeterctlEndToEndTests.meterctl(["plans", "check", plans.path])
        #expect(bad.status == 1)
        #expect(bad.err.contains("plans file \(plans.path), line 4: plan 'starter': overage cannot be set with 'pricing: contract'"), "\(bad.err)")
    }

    /// `meterctl plans check` prints every overage rate model as it was read.
    @Test func meterctlPrintsEachRateModel() throws {
        let plans = FileManager.default.temporaryDirectory.appendingPathComponent("plans-\(UUID().uuidString.prefix(8)).yaml")
        try Data("""
            plans:
              rated:
                monthly_price: 1
                annual_price: 10
                included: {ai_interactions: 1000, sms_messages: 500, telehealth_minutes: 100, fhir_api_calls: 10000}
                overage:
                  ai_interactions: 0.05
                  sms_messages: {tiered: [{up_to: 1000, unit_price: 0.02}, {up_to: 5000, unit_price: 0.015}, {unit_price: 0.01}]}
                  telehealth_minutes: {volume: [{up_to: 100, unit_price: 0.25}, {unit_price: 0.2}]}
                  fhir_api_calls: {package: {size: 1000, price: 1}}

            """.utf8).write(to: plans)
        defer { try? FileManager.default.removeItem(at: plans) }
        let checked = try MeterctlEndToEndTests.meterctl(["plans", "check", plans.path])
        #expect(checked.status == 0, "\(checked.err)")
        #expect(checked.out.split(separator: "\n").dropFirst(2).map(String.init) == [
            "  ai_interactions: 1000 included, overage 0.05 per unit",
            "  fhir_api_calls: 10000 included, overage package(1000 for 1)",
            "  sms_messages: 500 included, overage tiered(up to 1000 at 0.02, up to 5000 at 0.015, rest at 0.01)",
            "  telehealth_minutes: 100 included, overage volume(up to 100 at 0.25, rest at 0.2)",
        ])
    }
}
