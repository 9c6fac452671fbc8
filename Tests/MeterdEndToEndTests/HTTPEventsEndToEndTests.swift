import Foundation
import MeterPostgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `POST /v1/events` against the real binary (docs/http-api.md).
@Suite(.timeLimit(.minutes(2)))
struct HTTPEventsEndToEndTests {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        /// `events[i].status` or, for refusals, `refused:<reason>`.
        var statuses: [String] {
            (json["events"] as? [[String: Any]] ?? []).map { event in
                let status = event["status"] as? String ?? "?"
                return status == "refused" ? "refused:\(event["reason"] as? String ?? "?")" : status
            }
        }
    }

    /// A keep-alive HTTP/1.1 connection that reads responses by Content-Length.
    final class Connection {
        let fd: Int32
        var buffer: [UInt8] = []

        init(port: Int) throws { fd = try TestSockets.connectTCP(port: port) }
        deinit { close(fd) }

        func send(_ text: String) throws { try TestSockets.writeAll(fd, Array(text.utf8)) }

        static func request(_ method: String = "POST", path: String = "/v1/events", contentType: String?, body: String,
                            extraHeaders: String = "") -> String {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(TestSockets.authorizationHeader)"
            if let contentType { head += "Content-Type: \(contentType)\r\n" }
            return head + "Content-Length: \(body.utf8.count)\r\n\(extraHeaders)\r\n" + body
        }

        func post(_ body: String, contentType: String? = "application/x-ndjson") throws -> Response {
            try send(Self.request(contentType: contentType, body: body))
            return try read()
        }

        func read() throws -> Response {
            while true {
                if let end = find([13, 10, 13, 10]) {
                    let head = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                    var headers: [String: String] = [:]
                    for line in head.dropFirst() {
                        let parts = line.split(separator: ":", maxSplits: 1)
                        if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
                    }
                    let length = Int(headers["content-length"] ?? "0") ?? 0
                    if buffer.count >= end + 4 + length {
                        let body = String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self)
                        buffer.removeFirst(end + 4 + length)
                        let status = Int(head[0].split(separator: " ")[1]) ?? 0
                        return Response(status: status, headers: headers, body: body)
                    }
                }
                var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { throw TestSockets.Failure(description: "connection closed; read so far: \(String(decoding: buffer, as: UTF8.self))") }
                buffer += chunk[0..<count]
            }
        }

        private func find(_ pattern: [UInt8]) -> Int? {
            guard buffer.count >= pattern.count else { return nil }
            for start in 0...(buffer.count - pattern.count) where Array(buffer[start..<(start + pattern.count)]) == pattern {
                return start
            }
            return nil
        }
    }

    static func event(_ tenant: String, _ metric: String, _ value: String = "1", id: String? = nil, tags: String = "") -> String {
        var text = #"{"tenant":"\#(tenant)","metric":"\#(metric)","type":"c","value":\#(value)"#
        if let id { text += #","id":"\#(id)""# }
        if !tags.isEmpty { text += #","tags":{\#(tags)}"# }
        return text + "}"
    }

    @Test func perEventStatusesForNDJSONAndArrayBodies() throws {
        let daemon = try DaemonProcess(arguments: ["--set", "limits.max_series_per_tenant=2"])
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let connection = try Connection(port: daemon.httpPort)
        let ndjson = [
            Self.event("h", "calls", id: "a1"),
            Self.event("h", "calls", id: "a1"),                   // duplicate within the request
            Self.event("h", "calls", "-1"),                       // parser: negative_counter
            Self.event("h", "calls", "0.1", tags: #""model":"a""#), // second series of tenant h
            "{not json",                                          // bad_json_event
            Self.event("h", "calls", tags: #""model":"b""#),      // third series: tenant_series_limit
            Self.event("other", "calls", "2.5"),
        ].joined(separator: "\n") + "\n"
        let first = try connection.post(ndjson)
        #expect(first.status == 200, "\(first.body)")
        #expect(first.statuses == ["accepted", "duplicate", "refused:negative_counter", "accepted", "refused:bad_json_event",
                                   "refused:tenant_series_limit", "accepted"])
        #expect(first.json["durable"] as? Bool == true)
        #expect(first.json["accepted"] as? Int == 3)
        #expect(first.json["duplicate"] as? Int == 1)
        #expect(first.json["refused"] as? Int == 3)
        #expect((first.json["reasons"] as? [String: String])?["tenant_series_limit"] != nil)

        // Same connection (keep-alive), an array body: a1 again is a duplicate across requests.
        let array = "[" + [Self.event("h", "calls", id: "a1"), Self.event("h", "calls", "0.25", id: "a2")].joined(separator: ",") + "]"
        let second = try connection.post(array, contentType: "application/json; charset=utf-8")
        #expect(second.status == 200, "\(second.body)")
        #expect(second.statuses == ["duplicate", "accepted"])
        let indices = (second.json["events"] as? [[String: Any]] ?? []).map { $0["index"] as? Int }
        #expect(indices == [0, 1])

        // What was accepted is exactly what the rollups count: h: 1 + 0.1 + 0.25 over 3 events.
        try daemon.poll(what: "rollups of tenant h") {
            let body = try TestSockets.get(port: daemon.httpPort, "/debug/rollups?tenant=h").body
            return body.contains(#""grain":"month""#) && Self.monthSum(body) == (events: 3, sum: Decimal(string: "1.35")!)
        }
        #expect(try daemon.metric(#"meterd_events_received_total{transport="http"}"#) == 9)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="http",reason="negative_counter"}"#) == 1)
        #expect(try daemon.metric(#"meterd_events_refused_total{transport="http",reason="bad_json_event"}"#) == 1)
        #expect(try daemon.metric(#"meterd_http_event_requests_total{code="200"}"#) == 2)
    }

    /// Events and sum of the month rows in a `/debug/rollups` body.
    static func monthSum(_ body: String) -> (events: Int, sum: Decimal) {
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        var events = 0
        var sum = Decimal(0)
        for row in json["rows"] as? [[String: Any]] ?? [] where row["grain"] as? String == "month" {
            events += row["events"] as? Int ?? 0
            sum += Decimal(string: row["sum"] as? String ?? "") ?? 0
        }
        return (events, sum)
    }

    @Test func requestErrorsAreClear4xx() throws {
        let daemon = try DaemonProcess(arguments: ["--set", "http_events.max_body_bytes=2048", "--set", "http_events.max_events=3"])
        defer { daemon.stop() }
        try daemon.waitUntilReady()

        let tooMany = try Connection(port: daemon.httpPort).post((0..<4).map { Self.event("e", "m\($0)") }.joined(separator: "\n"))
        #expect(tooMany.status == 413)
        #expect(tooMany.json["error"] as? String == "too_many_events")
        #expect(tooMany.json["limit"] as? String == "http_events.max_events")

        // Declared too long: answered from the head, before any body byte is sent.
        let declared = try Connection(port: daemon.httpPort)
        try declared.send("POST /v1/events HTTP/1.1\r\nHost: x\r\n\(TestSockets.authorizationHeader)Content-Type: application/x-ndjson\r\nContent-Length: 5000\r\n\r\n")
        let early = try declared.read()
        #expect(early.status == 413)
        #expect(early.json["limit"] as? String == "http_events.max_body_bytes")
        #expect(early.headers["connection"] == "close")

        // Chunked: counted while it streams.
        let chunked = try Connection(port: daemon.httpPort)
        try chunked.send("POST /v1/events HTTP/1.1\r\nHost: x\r\n\(TestSockets.authorizationHeader)Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
        let piece = String(repeating: " ", count: 1000)
        for _ in 0..<3 { try chunked.send(String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n") }
        let streamed = try chunked.read()
        #expect(streamed.status == 413)
        #expect(streamed.json["error"] as? String == "body_too_large")

        let connection = try Connection(port: daemon.httpPort)
        let malformed = try connection.post("[\n" + Self.event("e", "m") + ",\n {\"tenant\" 1}]", contentType: "application/json")
        #expect(malformed.status == 400)
        #expect(malformed.json["error"] as? String == "malformed_json")
        #expect(malformed.json["line"] as? Int == 3)
        #expect(malformed.json["column"] as? Int == 12)

        let wrongType = try connection.post(Self.event("e", "m"), contentType: "text/plain")
        #expect(wrongType.status == 415)
        let noType = try connection.post(Self.event("e", "m"), contentType: nil)
        #expect(noType.status == 415)

        try connection.send(Connection.request("GET", contentType: nil, body: ""))
        let get = try connection.read()
        #expect(get.status == 405)
        #expect(get.headers["allow"] == "POST")
        // The GET routes still answer on the same connection.
        try connection.send(Connection.request("GET", path: "/healthz", contentType: nil, body: ""))
        #expect(try connection.read().status == 200)
        #expect(try daemon.metric(#"meterd_http_event_requests_total{code="413"}"#) == 3)
    }

    @Test func expectContinueGetsAnInterimAnswerBeforeTheBody() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let connection = try Connection(port: daemon.httpPort)
        let body = Self.event("c", "m")
        try connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\n\(TestSockets.authorizationHeader)Content-Type: application/x-ndjson\r\n"
                            + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
        #expect(try connection.read().status == 100)
        try connection.send(body)
        let answer = try connection.read()
        #expect(answer.status == 200)
        #expect(answer.statuses == ["accepted"])
    }

    @Test func meterctlSendsOverHTTPAndPrintsTheAnswer() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let url = "http://127.0.0.1:\(daemon.httpPort)"
        let sent = try MeterctlEndToEndTests.meterctl(["send", "--http", url, "--token", TestSockets.apiToken],
                                                      stdin: "api.calls:1.5|c|#tenant:ctlh,id:x1,model:m\nseats:u-1|s|#tenant:ctlh\nbad:1|ms|#tenant:ctlh\n")
        #expect(sent.status == 1, "a line was refused locally: \(sent.out) \(sent.err)")
        #expect(sent.err.contains("refused [unsupported_type]"))
        #expect(sent.out.contains(#""accepted":2"#), "\(sent.out)")
        #expect(sent.out.contains("sent 2 events over HTTP: status 200, 1 refused locally"), "\(sent.out)")
        let again = try MeterctlEndToEndTests.meterctl(["send", "--http", url, "--token", TestSockets.apiToken, "api.calls:1.5|c|#tenant:ctlh,id:x1,model:m"])
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains(#""status":"duplicate""#), "\(again.out)")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        try daemon.waitUntilReady()
        let connection = try Connection(port: daemon.httpPort)
        var requests = ""
        for round in 0..<5 {
            let body = (0...round).map { Self.event("p", "m\($0)", id: "r\(round)-\($0)") }.joined(separator: "\n")
            requests += Connection.request(contentType: "application/x-ndjson", body: body)
            requests += Connection.request("GET", path: "/healthz", contentType: nil, body: "")
        }
        try connection.send(requests)
        for round in 0..<5 {
            let answer = try connection.read()
            #expect(answer.status == 200)
            #expect(answer.statuses == Array(repeating: "accepted", count: round + 1))
            #expect(try connection.read().body == "ok\n")
        }
    }

    /// After a 200 with `durable: true`, a SIGKILL loses none of the accepted events: the
    /// restart replays them and PostgreSQL holds exactly those.
    @Test(.enabled(if: MeterdPostgresTests.isConfigured, "METERD_TEST_POSTGRES_URL is unset: run scripts/test.sh"))
    func answeredEventsSurviveKill9() throws {
        try MeterdPostgresTests.withFreshDatabase { url, connect in
            let data = try MeterdCrashRecoveryTests.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let arguments = ["--postgres", url, "--data-dir", data.path]
            let first = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { first.stop() }
            try first.waitUntilReady()
            let tenant = MeterdCrashRecoveryTests.tenant
            let connection = try Connection(port: first.httpPort)
            var accepted = 0
            for round in 0..<4 {
                var events = (0..<300).map { index in
                    #"{"tenant":"\#(tenant)","metric":"crash.m\#(index % 5)","type":"c","value":"0.5","id":"r\#(round)-\#(index)","tags":{"k":"k\#(index % 3)"}}"#
                }
                events.append(#"{"tenant":"\#(tenant)","metric":"crash.m0","type":"c","value":"0.5","id":"r\#(round)-0","tags":{"k":"k0"}}"#)
                events.append(#"{"tenant":"\#(tenant)","metric":"crash.m0","type":"c","value":"0.5000001"}"#)
                let answer = try connection.post(events.joined(separator: "\n"))
                #expect(answer.status == 200)
                #expect(answer.json["durable"] as? Bool == true)
                #expect(answer.json["accepted"] as? Int == 300)
                #expect(answer.statuses.suffix(2) == ["duplicate", "refused:value_too_precise"])
                accepted += answer.json["accepted"] as? Int ?? 0
            }
            MeterdCrashRecoveryTests.kill9(first)

            let second = try DaemonProcess(arguments: arguments, flushInterval: "3600", unix: false)
            defer { second.stop() }
            try second.waitUntilReady(timeout: 20)
            #expect(try second.terminate() == 0)
            #expect(try MeterdCrashRecoveryTests.totals(try connect()) == MeterdCrashRecoveryTests.expected(events: accepted))
        }
    }
}
