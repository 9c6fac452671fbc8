#if canImport(Glibc)
import Glibc
#endif

/// GET requests over one kept-alive HTTP/1.1 connection (`meterctl usage`, `meterctl
/// http-latency`): each answer is read to its `Content-Length`, so the next request reuses the
/// connection.
public final class HTTPGet {
    public let host: String
    public let port: UInt16
    let token: String?
    private var connection: Connection?
    private var buffered: [UInt8] = []

    public init(host: String, port: UInt16, token: String?) {
        self.host = host
        self.port = port
        self.token = token
    }

    /// Percent-encodes a query parameter name or value (RFC 3986 unreserved characters kept).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// `path?name=value&...`, each part percent-encoded.
    public static func target(_ path: String, _ parameters: [(String, String)]) -> String {
        parameters.isEmpty ? path : path + "?" + parameters.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// Sends `GET target` and returns the status and body; reconnects once when a kept-alive
    /// connection was closed by the server meanwhile.
    public func get(_ target: String, timeout: Double = 30) throws(SocketError) -> (status: Int, body: [UInt8]) {
        if connection != nil, let answer = try? exchange(target, timeout: timeout) { return answer }
        connection = nil
        buffered.removeAll()
        guard let answer = try exchange(target, timeout: timeout) else {
            throw SocketError("\(host):\(port) closed the connection before answering")
        }
        return answer
    }

    private func exchange(_ target: String, timeout: Double) throws(SocketError) -> (status: Int, body: [UInt8])? {
        let connection = try self.connection ?? Connection(.tcp(host: host, port: port))
        self.connection = connection
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        try connection.writeAll(Array("GET \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n\(authorization)\r\n".utf8)[...])
        return try readResponse(connection, timeout: timeout)
    }

    private func readResponse(_ connection: Connection, timeout: Double) throws(SocketError) -> (status: Int, body: [UInt8])? {
        let deadline = Clock.now() + timeout
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        var status = 0
        var length = 0
        while true {
            if headEnd == nil, buffered.count >= 4,
               let end = (0...(buffered.count - 4)).first(where: { buffered[$0] == 13 && Array(buffered[$0 ..< $0 + 4]) == separator }) {
                headEnd = end + 4
                let head = String(decoding: buffered[..<end], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                guard let first = lines.first, let code = Int(first.split(separator: " ").dropFirst().first ?? "") else {
                    throw SocketError("not an HTTP answer")
                }
                status = code
                for line in lines.dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        length = Int(parts[1].drop(while: { $0 == " " })) ?? 0
                    }
                }
            }
            if let headEnd, buffered.count >= headEnd + length {
                let body = Array(buffered[headEnd ..< headEnd + length])
                buffered.removeFirst(headEnd + length)
                return (status, body)
            }
            guard Clock.now() < deadline else { throw SocketError("no complete HTTP answer within \(timeout) s") }
            var pollFD = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }  // closed
            buffered += chunk[..<count]
        }
    }
}
