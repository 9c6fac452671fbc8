@testable import MeterCore
import Testing

@Suite struct CheckCommandTests {
    func parse(_ line: String) -> CheckCommand.Request? {
        Array(line.utf8).withUnsafeBytes { CheckCommand.parse($0) }
    }

    @Test func takesATenantAndAMetric() {
        #expect(parse("#check acme ai_interactions") == .check(tenant: "acme", metric: "ai_interactions"))
        #expect(parse("#check acme ai.calls\r") == .check(tenant: "acme", metric: "ai.calls"))
    }

    @Test func malformedRequestsSayWhy() {
        #expect(parse("#check") == .malformed(reason: "check_missing_arguments"))
        #expect(parse("#check acme") == .malformed(reason: "check_needs_tenant_and_metric"))
        #expect(parse("#check acme  m") == .malformed(reason: "check_needs_tenant_and_metric"))
        #expect(parse("#check acme m extra") == .malformed(reason: "check_needs_tenant_and_metric"))
        #expect(parse("#check \(String(repeating: "t", count: 256)) m") == .malformed(reason: "check_name_too_long"))
        #expect(parse("#check ac\u{7F}me m") == .malformed(reason: "check_bad_name"))
    }

    @Test func otherLinesAreNotChecks() {
        #expect(parse("#sync a") == nil)
        #expect(parse("#checkpoint a b") == nil)
        #expect(parse("ai.calls:1|c|#tenant:acme") == nil)
    }
}
