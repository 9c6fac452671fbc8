import MeterctlKit
import Testing

@Suite struct CheckAnswerTests {
    @Test func parsesTheFieldsAndPrintsATable() throws {
        let line = "#checked acme ai_interactions allowed=no reason=quota_exhausted used=1000 limit=1000 remaining=0 plan=starter period_start=2026-12-01T00:00:00Z period_end=2027-01-01T00:00:00Z"
        let answer = try #require(CheckAnswer(line: line))
        #expect(answer.tenant == "acme" && answer.metric == "ai_interactions")
        #expect(answer["allowed"] == "no" && answer["remaining"] == "0" && answer["missing"] == nil)
        #expect(answer.table == """
            tenant     acme
            metric     ai_interactions
            plan       starter
            allowed    no (quota_exhausted)
            used       1000
            limit      1000
            remaining  0
            period     2026-12-01T00:00:00Z .. 2027-01-01T00:00:00Z
            """)
    }

    @Test func otherLinesAreNotAnswers() {
        #expect(CheckAnswer(line: "#error check_bad_name") == nil)
        #expect(CheckAnswer(line: "#checked acme") == nil)
        #expect(CheckAnswer(line: "#checked acme m allowed=unknown reason=seeding")?["reason"] == "seeding")
    }
}
