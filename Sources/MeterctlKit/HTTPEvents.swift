import MeterCore

#if canImport(Glibc)
import Glibc
#endif

/// `meterctl send --http`: lines as JSON events (docs/http-api.md), POSTed as NDJSON to
/// `/v1/events` over one plain HTTP/1.1 connection.
public enum HTTPEvents {
    /// `http://HOST:PORT` (or `HOST:PORT`); a path, if any, is ignored (always `/v1/events`).
    public static func hostPort(_ url: String) throws(SocketError) -> (host: String, port: UInt16) {
        var text = Substring(url)
        if text.hasPrefix("http://") { text = text.dropFirst("http://".count) }
        if text.hasPrefix("https://") { throw SocketError("https is not supported; meterd serves plain HTTP") }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        return try Target.hostPort(String(text))
    }

    /// The JSON event of an accepted line (`parsed` describes it), with `time` only when the
    /// line gave one different from `now`.
    public static func event(_ line: [UInt8], _ parsed: ParsedLine, now: Int64) -> String {
        func text(_ range: Range<Int>) -> String { JSONString.quoted(String(decoding: line[range], as: UTF8.self)) }
        var json = "{\"tenant\":\(text(parsed.tenant)),\"metric\":\(text(parsed.metric)),"
        switch parsed.type {
        case .counter: json += "\"type\":\"c\",\"value\":\"\(parsed.value.description)\""
        case .gauge: json += "\"type\":\"g\",\"value\":\"\(parsed.value.description)\""
        case .set: json += "\"type\":\"s\",\"member\":\(text(parsed.member))"
        }
        if let id = parsed.id { json += ",\"id\":\(text(id))" }
        if parsed.timestamp != now { json += ",\"time\":\(parsed.timestamp)" }
        if !parsed.dimensions.isEmpty {
            json += ",\"tags\":{" + parsed.dimensions.map { "\(text($0.key)):\(text($0.value))" }.joined(separator: ",") + "}"
        }
        return json + "}"
    }

    /// The request for an NDJSON body, presenting `token` as a bearer token when given.
    public static func request(host: String, port: UInt16, body: [UInt8], token: String? = nil) -> [UInt8] {
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return Array("POST /v1/events HTTP/1.1\r\nHost: \(host):\(port)\r\n\(authorization)Content-Type: application/x-ndjson\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    }

    /// The environment variable `meterctl` reads the HTTP API token from when `--token` is not given.
    public static let tokenEnvironmentName = "METERCTL_TOKEN"

    /// Reads the response until meterd closes the connection (the request asked it to);
    /// nil on timeout or when it is not HTTP.
    public static func response(_ connection: Connection, timeout: Double) -> (status: Int, body: String)? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pollFD = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
        let deadline = Clock.now() + timeout
        while Clock.now() < deadline {
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard received.count >= 4,
              let end = (0...(received.count - 4)).first(where: { Array(received[$0 ..< $0 + 4]) == separator }) else { return nil }
        let head = String(decoding: received[..<end], as: UTF8.self)
        guard let status = Int(head.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return (status, String(decoding: received[(end + 4)...], as: UTF8.self))
    }
}
