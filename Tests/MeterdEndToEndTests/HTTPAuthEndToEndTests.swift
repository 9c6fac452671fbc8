import Foundation
import Testing

/// Bearer tokens on the real binary's HTTP API (docs/http-api.md "Authentication").
@Suite(.timeLimit(.minutes(2)))
struct HTTPAuthEndToEndTests {
    typealias Connection = HTTPEventsEndToEndTests.Connection

    static func get(_ connection: Connection, _ path: String, authorization: String?) throws -> HTTPEventsEndToEndTests.Response {
        try connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + (authorization.map { "Authorization: \($0)\r\n" } ?? "") + "\r\n")
        return try connection.read()
    }

    @Test func onlyTheRightTokenOpensTheAPIAndExemptPathsStayOpen() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let connection = try Connection(port: daemon.httpPort)

        let missing = try Self.get(connection, "/debug/rollups?tenant=a", authorization: nil)
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"] == #"Bearer realm="meterd""#)
        #expect(missing.json["error"] as? String == "unauthorized")
        #expect(missing.json["reason"] as? String == "missing")

        let wrong = try Self.get(connection, "/debug/rollups?tenant=a", authorization: "Bearer wrong-token-0123456789")
        #expect(wrong.status == 401)
        #expect(wrong.headers["www-authenticate"] == #"Bearer realm="meterd", error="invalid_token""#)
        #expect(wrong.json["reason"] as? String == "invalid_token")
        #expect(!wrong.body.contains(TestSockets.apiToken))

        let basic = try Self.get(connection, "/debug/rollups?tenant=a", authorization: "Basic dXNlcjpwYXNz")
        #expect(basic.status == 401)
        #expect(basic.json["reason"] as? String == "malformed")

        let right = try Self.get(connection, "/debug/rollups?tenant=a", authorization: "Bearer \(TestSockets.apiToken)")
        #expect(right.status == 200, "\(right.body)")

        for path in ["/metrics", "/healthz", "/readyz"] {
            #expect(try Self.get(connection, path, authorization: nil).status == 200, "\(path)")
        }

        // POST /v1/events is covered: refused before its body is read, nothing counted.
        let event = #"{"tenant":"auth","metric":"calls","type":"c","value":1}"#
        try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                            + "Content-Length: \(event.utf8.count)\r\n\r\n" + event)
        let refusedPost = try connection.read()
        #expect(refusedPost.status == 401)
        #expect(try daemon.metric(#"meterd_events_received_total{transport="http"}"#) ?? 0 == 0)
        let accepted = try connection.post(event)
        #expect(accepted.status == 200, "\(accepted.body)")
        #expect(try daemon.metric(#"meterd_events_received_total{transport="http"}"#) == 1)

        #expect(try daemon.metric(#"meterd_http_auth_failures_total{reason="missing"}"#) == 2)
        #expect(try daemon.metric(#"meterd_http_auth_failures_total{reason="invalid_token"}"#) == 1)
        #expect(try daemon.metric(#"meterd_http_auth_failures_total{reason="malformed"}"#) == 1)
        #expect(!daemon.stderr.contains(TestSockets.apiToken), "a token was logged")
    }

    @Test func withoutATokenOnlyTheExemptPathsAnswer() throws {
        let daemon = try DaemonProcess(apiToken: nil)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let connection = try Connection(port: daemon.httpPort)
        let refused = try Self.get(connection, "/debug/rollups?tenant=a", authorization: "Bearer \(TestSockets.apiToken)")
        #expect(refused.status == 401)
        #expect(refused.json["reason"] as? String == "no_token_configured")
        #expect(try Self.get(connection, "/metrics", authorization: nil).status == 200)
        #expect(try daemon.metric(#"meterd_http_auth_failures_total{reason="no_token_configured"}"#) == 1)
        #expect(daemon.stderr.contains("no http api token configured"))
    }

    @Test func tokensComeFromAFileAndTheExemptPathsFromTheConfiguration() throws {
        let tokens = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-tokens-\(UUID().uuidString.prefix(8))")
        try Data("# the current token\nfile-token-0123456789abcdef\n".utf8).write(to: tokens)
        defer { try? FileManager.default.removeItem(at: tokens) }
        let daemon = try DaemonProcess(environment: ["METERD_HTTP_AUTH_TOKEN_FILE": tokens.path,
                                                     "METERD_HTTP_AUTH_EXEMPT_PATHS": "/healthz,/readyz"], apiToken: nil)
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let connection = try Connection(port: daemon.httpPort)
        #expect(try Self.get(connection, "/metrics", authorization: nil).status == 401)
        #expect(try Self.get(connection, "/metrics", authorization: "Bearer file-token-0123456789abcdef").status == 200)
        #expect(try Self.get(connection, "/healthz", authorization: nil).status == 200)
    }

    @Test func meterctlWithoutATokenIsRefused() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let sent = try MeterctlEndToEndTests.meterctl(["send", "--http", "http://127.0.0.1:\(daemon.httpPort)", "calls:1|c|#tenant:t"])
        #expect(sent.status == 1)
        #expect(sent.out.contains("status 401"), "\(sent.out)")
    }
}
