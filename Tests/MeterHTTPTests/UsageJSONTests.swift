import MeterCore
import MeterIngest
import Testing
@testable import MeterHTTP

@Suite struct UsageJSONTests {
    @Test func quantitiesAreExactDecimalStrings() {
        var counter = RollupValue(type: .counter)
        counter.events = 2
        counter.sum = QuantitySum(units: 12_345_678_901_234_567)  // 12345678901.234567
        var gauge = RollupValue(type: .gauge)
        gauge.events = 1
        gauge.integral = QuantitySum(units: 3_600_000_000)
        gauge.minimum = Quantity("0.1")
        gauge.maximum = Quantity("0.1")
        gauge.latest = Quantity("0.1")
        gauge.latestTime = 1_796_083_230
        var set = RollupValue(type: .set)
        set.events = 3
        set.unique = 2
        let answer = UsageAnswer(tenant: "acme", series: [
            UsageSeries(id: UsageSeriesID(metric: "tokens", type: .counter, dimensions: [UsageDimension(key: "model", value: "x")]),
                        buckets: [UsageBucket(start: 1_796_083_200, value: counter)]),
            UsageSeries(id: UsageSeriesID(metric: "storage", type: .gauge, dimensions: []),
                        buckets: [UsageBucket(start: 1_796_083_200, value: gauge)]),
            UsageSeries(id: UsageSeriesID(metric: "users", type: .set, dimensions: []),
                        buckets: [UsageBucket(start: 1_796_083_200, value: set)]),
        ])
        let request = UsageRequest(tenant: "acme", grain: .hour, from: 1_796_083_200, to: 1_796_086_800)
        let json = UsageJSON.render(answer, request: request)
        #expect(json.contains(#"{"start":"2026-12-01T00:00:00Z","events":2,"sum":"12345678901.234567"}"#))
        #expect(json.contains(#""dimensions":{"model":"x"}"#))
        #expect(json.contains(#""integral":"3600","min":"0.1","max":"0.1","latest":"0.1","latest_time":"2026-12-01T00:00:30Z""#))
        #expect(json.contains(#"{"start":"2026-12-01T00:00:00Z","events":3,"uniques":2}"#))
        #expect(json.hasPrefix(#"{"tenant":"acme","metric":null,"grain":"hour","from":"2026-12-01T00:00:00Z","to":"2026-12-01T01:00:00Z","series":["#))
    }
}
