import Foundation
import MeterBilling
import MeterCore
import MeterPlans
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Billing end to end (docs/billing.md): the real meterd ingests a tenant's usage over TCP and
/// flushes its rollups to PostgreSQL; the real meterctl sets up the subscription and the tax
/// rates and runs the billing, twice; the invoice is checked against hand-computed amounts and
/// its usage traced back to the rollup rows meterd wrote.
@Suite(.timeLimit(.minutes(2)))
struct MeterdBillingTests {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func meterdsRollupsBecomeAFinalizedInvoiceOnce() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            // A period that ended ten days ago: anchored 40 days back at 09:30 (hourly edges).
            let now = Int64(time(nil))
            let anchor = (now - 40 * 86_400) / 86_400 * 86_400 + 9 * 3600 + 1800
            let period = BillingPeriod.period(index: 0, anchor: anchor)
            let daemon = try DaemonProcess(arguments: [
                "--postgres", url, "--set", "plans.file=\(Self.repository.appendingPathComponent("config/plans.yaml").path)",
                "--set", "protocol.max_lateness_seconds=\(60 * 86_400)",
            ], unix: false)
            defer { daemon.stop() }
            try daemon.waitUntilReady(timeout: 20)

            func ctl(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
                try MeterctlEndToEndTests.meterctl(arguments + ["--postgres", url])
            }
            let create = try ctl(["subscription", "create", "acme", "--plan", "starter", "--at", "\(CivilTime(unixSeconds: anchor))",
                                  "--region", "US-CA", "--prefix", "ACME"])
            #expect(create.status == 0, "\(create.err)")
            let rates = try ctl(["billing", "tax-rates", "load", Self.repository.appendingPathComponent("config/tax-rates.yaml").path])
            #expect(rates.status == 0 && rates.out.contains("tax rates loaded"), "\(rates.err)")

            // 1250 ai_interactions in the period's window (its first hour, a day inside, its last
            // hour), 7 sms_messages, and 40 ai_interactions after it (the next period's).
            let lines = [
                "ai_interactions:300|c|#tenant:acme|T\(anchor + 600)",
                "ai_interactions:600|c|#tenant:acme|T\(anchor + 12 * 86_400)",
                "ai_interactions:350|c|#tenant:acme|T\(UsageWindow.hourFloor(period.end) - 60)",
                "ai_interactions:40|c|#tenant:acme|T\(period.end + 3600)",
                "sms_messages:7|c|#tenant:acme|T\(anchor + 86_400)",
            ]
            let tcp = try TestSockets.connectTCP(port: daemon.tcpPort)
            defer { close(tcp) }
            _ = try #require(try SyncAnswer.exchange(tcp, lines: lines, token: "billing"))
            let database = try connect()
            try daemon.poll(timeout: 20, what: "the rollups flushed") {
                try database.execute("SELECT sum(sum) FROM meterd.usage_hourly WHERE tenant = 'acme' AND metric = 'ai_interactions'")
                    .rows.first?[0] == "1290"
            }

            let run = try ctl(["billing", "run"])
            #expect(run.status == 0, "\(run.err)")
            #expect(run.out.contains("ACME-000001  acme  \(CivilTime(unixSeconds: period.start)) to \(CivilTime(unixSeconds: period.end))"), "\(run.out)")
            #expect(run.out.contains("1 invoices finalized"), "\(run.out)")

            let invoice = try InvoiceStore(connection: database).invoice("ACME-000001")
            // 299; (1250 - 1000) x 0.05 = 12.50 (sms within its 500); tax 7.25 % of 311.50
            // = 22.58375 -> 22.58; total 334.08.
            #expect(invoice.lines.map { "\($0.kind.rawValue) \($0.amount)" } == ["subscription 299", "overage 12.5", "tax 22.58"])
            #expect(invoice.total == Money("334.08")!)
            let overage = try #require(invoice.lines.first { $0.kind == .overage })
            #expect(overage.sources.reduce(0) { $0 + $1.rows } >= 3)
            for source in overage.sources {
                let again = try database.execute("""
                    SELECT sum(sum) FROM \(RollupTable.name(source.grain)) WHERE tenant = 'acme' AND metric = 'ai_interactions'
                    AND type = 'c' AND bucket >= to_timestamp($1::bigint) AND bucket < to_timestamp($2::bigint)
                    """, parameters: [String(source.fromBucket), String(source.toBucket)])
                #expect(again.rows.first?[0].flatMap(QuantitySum.init(decimal:)) == source.quantity)
            }

            // Running it again bills nothing new.
            let again = try ctl(["billing", "run", "--json"])
            #expect(again.status == 0, "\(again.err)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(again.out.utf8)) as? [String: Any])
            #expect((report["invoices"] as? [Any])?.isEmpty == true)
            #expect(report["tenants_up_to_date"] as? Int == 1)
            #expect(try database.execute("SELECT count(*) FROM meterd.invoices").rows.first?[0] == "1")

            let list = try ctl(["invoice", "list", "--tenant", "acme"])
            #expect(list.out.hasPrefix("ACME-000001\tfinalized\tacme\t"), "\(list.out)")

            // The invoice as JSON (amounts as strings), printable HTML and text.
            let shown = try ctl(["invoice", "show", "ACME-000001", "--format", "json"])
            #expect(shown.status == 0, "\(shown.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as? [String: Any])
            #expect(json["number"] as? String == "ACME-000001" && json["status"] as? String == "finalized")
            #expect((json["totals"] as? [String: Any])?["total"] as? String == "334.08")
            let jsonLines = try #require(json["lines"] as? [[String: Any]])
            #expect(jsonLines.map { $0["amount"] as? String } == ["299.00", "12.50", "22.58"])
            #expect(((jsonLines[1]["sources"] as? [[String: Any]])?.count ?? 0) == overage.sources.count)
            let page = FileManager.default.temporaryDirectory.appendingPathComponent("invoice-\(UUID().uuidString.prefix(8)).html")
            defer { try? FileManager.default.removeItem(at: page) }
            let html = try ctl(["invoice", "show", "ACME-000001", "--format", "html", "--output", page.path, "--issuer-name", "Acme & Co"])
            #expect(html.status == 0, "\(html.err)")
            let document = try String(contentsOf: page, encoding: .utf8)
            #expect(document.hasPrefix("<!DOCTYPE html>") && document.contains("ACME-000001") && document.contains("Acme &amp; Co"))
            let text = try ctl(["invoice", "show", "ACME-000001"])
            #expect(text.status == 0 && text.out.contains("ACME-000001") && text.out.contains("334.08"), "\(text.out)")
            let missing = try ctl(["invoice", "show", "ACME-000999"])
            #expect(missing.status == 1 && missing.err == "no invoice ACME-000999\n", "\(missing.err)")
            #expect(try daemon.terminate() == 0)
        }
    }
}
