import Foundation
import MeterCore
import Testing
@testable import MeterAlerts

/// The alert id, the JSON form and the delivery order: the parts every receiver relies on.
@Suite struct AlertFormatTests {
    @Test func idIsStableAndAVersion8UUID() {
        let alert = sampleAlert(.warning90)
        var later = alert
        later.used = Quantity(whole: 950)!
        later.crossedAtMilliseconds += 5_000
        later.periodEnd += 1
        #expect(alert.id == later.id, "usage, crossing time and period end are not part of the identity")
        // Pinned: an id must never change between releases (receivers deduplicate on it).
        #expect(alert.id == AlertID.make(for: alert))
        let parts = alert.id.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
        #expect(Array(alert.id)[14] == "8", "version nibble")
        #expect("89ab".contains(Array(alert.id)[19]), "variant bits")
    }

    @Test func idDiffersByEveryIdentifyingField() {
        let base = sampleAlert(.warning80)
        var variants = [base]
        variants.append(sampleAlert(.warning90))
        variants.append(sampleAlert(.warning80, tenant: "acme2"))
        variants.append(sampleAlert(.warning80, metric: "api.calls2"))
        variants.append(sampleAlert(.warning80, quota: Quantity(whole: 2000)!))
        var otherPeriod = base
        otherPeriod.periodStart = 1_798_761_600
        variants.append(otherPeriod)
        // Length prefixes: moving a character between tenant and metric is another alert.
        variants.append(sampleAlert(.warning80, tenant: "acm", metric: "eapi.calls"))
        #expect(Set(variants.map(\.id)).count == variants.count)
    }

    @Test func jsonHasEveryFieldExactly() throws {
        let alert = sampleAlert(.exhausted100, tenant: "a\"b\\c")
        let object = try #require(JSONSerialization.jsonObject(with: Data(alert.json.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["id"] as? String == alert.id)
        #expect(object["tenant"] as? String == "a\"b\\c")
        #expect(object["metric"] as? String == "api.calls")
        #expect(object["level"] as? Int == 100)
        #expect(object["period_start"] as? String == "2026-12-01T00:00:00Z")
        #expect(object["period_end"] as? String == "2027-01-01T00:00:00Z")
        #expect(object["used"] as? String == "1000.5", "exact decimal text, never a float")
        #expect(object["quota"] as? String == "1000")
        #expect(object["crossed_at"] as? String == "2026-12-02T02:03:45.678Z")
        #expect(object.count == 10)
    }

    @Test func severalLevelsAreDeliveredHighestFirst() {
        let other = sampleAlert(.warning90, tenant: "other")
        let ordered = ThresholdAlert.deliveryOrder([sampleAlert(.warning80), sampleAlert(.exhausted100), sampleAlert(.warning90), other])
        #expect(ordered.map(\.level) == [.exhausted100, .warning90, .warning90, .warning80])
        #expect(ordered[1].tenant == "acme" && ordered[2].tenant == "other", "equal levels keep their order")
    }

    @Test func notifyPayloadFallsBackToTheIDWhenTooLong() {
        let alert = sampleAlert(.warning80)
        let short = AlertDelivery(alert, firedAt: 0)
        #expect(NotifySink.payload(for: short) == alert.json)
        var long = short
        long.body = String(repeating: "x", count: 8000)
        #expect(NotifySink.payload(for: long) == "{\"version\":1,\"id\":\"\(alert.id)\"}")
    }
}
