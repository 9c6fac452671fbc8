/// A `HOST:PORT` listen address as given on the command line (`127.0.0.1:8125`, `[::1]:8125`).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; an IPv6 host is written in brackets. Returns the problem otherwise.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        guard let colon = text.lastIndex(of: ":") else { return .failure(.missingPort) }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return .failure(.missingHost) }
        guard let port = Int(portText), (1...65_535).contains(port) else { return .failure(.badPort) }
        return .success(ListenAddress(host: host, port: port))
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public enum ListenAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingPort, missingHost, badPort

    public var description: String {
        switch self {
        case .missingPort: "expected HOST:PORT (no ':' found)"
        case .missingHost: "expected HOST:PORT (the host is empty)"
        case .badPort: "the port must be a number from 1 to 65535"
        }
    }
}
