import MeterCore
import MeterIngest
import Testing
@testable import MeterHTTP

@Suite struct UsageParametersTests {
    let limits = UsageQueryLimits()
    let valid = ["tenant": "acme", "grain": "hour", "from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"]

    func problem(_ query: [String: String], limits: UsageQueryLimits = UsageQueryLimits()) -> UsageParameters.Problem? {
        if case .failure(let problem) = UsageParameters.parse(query, limits: limits) { return problem }
        return nil
    }

    func request(_ query: [String: String]) throws -> UsageRequest {
        try UsageParameters.parse(query, limits: limits).get()
    }

    func with(_ changes: [String: String?]) -> [String: String] {
        var query = valid
        for (key, value) in changes { query[key] = value }
        return query
    }

    @Test func validParametersGiveTheRequest() throws {
        let parsed = try request(with(["metric": "tokens", "dim.model": "gpt-x", "dim.region": "eu"]))
        #expect(parsed.tenant == "acme")
        #expect(parsed.metric == "tokens")
        #expect(parsed.grain == .hour)
        #expect(parsed.from == 1_796_083_200)
        #expect(parsed.to == 1_796_169_600)
        #expect(parsed.dimensions == [UsageDimension(key: "model", value: "gpt-x"), UsageDimension(key: "region", value: "eu")])
        #expect(try request(valid).metric == nil)
    }

    @Test func unixSecondsAndOffsetsAndFractions() throws {
        #expect(try request(with(["from": "1796083200", "to": "1796169600"])).from == 1_796_083_200)
        #expect(try request(with(["from": "2026-12-01T01:00:00+01:00"])).from == 1_796_083_200)
        #expect(try request(with(["from": "2026-11-30T19:00:00-05:00"])).from == 1_796_083_200)
        // A fraction rounds the start down and the (exclusive) end up.
        let fractional = try request(with(["from": "2026-12-01T00:00:00.750Z", "to": "2026-12-01T10:00:00.25Z"]))
        #expect(fractional.from == 1_796_083_200)
        #expect(fractional.to == 1_796_083_200 + 36_001)
        #expect(try request(with(["from": "2026-12-01t00:00:00z"])).from == 1_796_083_200)
    }

    @Test func unknownParameterIs400() {
        #expect(problem(with(["dimension.model": "x"]))?.code == "unknown_parameter")
        #expect(problem(with(["dimension.model": "x"]))?.parameter == "dimension.model")
    }

    @Test func missingParametersAre400() {
        for name in ["tenant", "grain", "from", "to"] {
            let found = problem(with([name: nil]))
            #expect(found?.code == "missing_parameter", "\(name)")
            #expect(found?.parameter == name)
        }
        #expect(problem(with(["tenant": ""]))?.code == "missing_parameter")
    }

    @Test func emptyMetricIs400() {
        #expect(problem(with(["metric": ""]))?.code == "bad_metric")
    }

    @Test func unknownGrainIs400() {
        let found = problem(with(["grain": "week"]))
        #expect(found?.code == "bad_grain")
        #expect(found?.message.contains("'week'") == true)
    }

    @Test(arguments: ["yesterday", "2026-12-01", "2026-12-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                      "2026-12-01T24:00:00Z", "2026-12-01T00:00:00+1:00", "1.5", "", "99999999999999999",
                      "2026-12-01T00:00:00.Z"])
    func badTimeIs400(text: String) {
        let found = problem(with(["from": text]))
        #expect(found?.code == "bad_time")
        #expect(found?.parameter == "from")
        #expect(problem(with(["to": text]))?.code == "bad_time")
    }

    @Test func emptyRangeIs400() {
        #expect(problem(with(["to": valid["from"]!]))?.code == "empty_range")
        #expect(problem(with(["from": "2026-12-03T00:00:00Z"]))?.code == "empty_range")
    }

    @Test func rangeBeyondMaxBucketsIs400() {
        var small = UsageQueryLimits()
        small.maxBuckets = 24
        #expect(problem(valid, limits: small) == nil)  // exactly 24 hours
        let found = problem(with(["to": "2026-12-02T00:00:01Z"]), limits: small)
        #expect(found?.code == "range_too_large")
        #expect(found?.message.contains("usage_query.max_buckets (24)") == true)
        // A range that starts inside a bucket counts that bucket.
        #expect(problem(with(["from": "2026-11-30T23:30:00Z"]), limits: small)?.code == "range_too_large")
        // Months are calendar months.
        small.maxBuckets = 12
        #expect(problem(with(["grain": "month", "from": "2026-01-15T00:00:00Z", "to": "2027-01-01T00:00:00Z"]), limits: small) == nil)
        #expect(problem(with(["grain": "month", "from": "2026-01-15T00:00:00Z", "to": "2027-01-01T00:00:01Z"]), limits: small)?.code
                == "range_too_large")
    }

    @Test func dimensionWithoutKeyIs400() {
        #expect(problem(with(["dim.": "x"]))?.code == "bad_dimension")
    }

    @Test func timesFormatAsRFC3339() {
        #expect(UsageTime.format(1_796_083_200) == "2026-12-01T00:00:00Z")
        #expect(UsageTime.format(0) == "1970-01-01T00:00:00Z")
        #expect(UsageTime.format(-1) == "1969-12-31T23:59:59Z")
        for seconds: Int64 in [0, 59, 86_399, 951_782_400, 1_796_169_599, -86_401] {
            #expect(UsageTime.parse(UsageTime.format(seconds), rounding: .down) == seconds)
        }
    }
}
