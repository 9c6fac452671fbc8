/// Why a Redis operation failed.
///
/// `description` never contains the password of the endpoint, nor command arguments (which
/// can carry tenant ids and keys): only the kind, a short message and the redacted endpoint.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The URL could not be parsed, or asks for something hiredis 0.14 cannot do (TLS).
        case invalidURL = "invalid_url"
        /// The TCP connection could not be established (refused, unreachable, unknown host).
        case connectFailed = "connect_failed"
        /// The connection broke (EOF, reset, any other I/O error) or was already closed.
        case connectionLost = "connection_lost"
        /// Connecting, sending or waiting for a reply took longer than the configured timeout.
        case timeout
        /// The server sent bytes that are not RESP; the connection is unusable.
        case protocolError = "protocol_error"
        /// The server answered with an error where the connection needed success (AUTH, SELECT).
        case serverError = "server_error"
    }

    public var kind: Kind
    /// A short human-readable message (hiredis' `errstr`, or the server's error reply).
    public var message: String
    /// The endpoint, password redacted; empty when there was no endpoint yet (URL errors).
    public var endpoint: String
    public var fileID: String
    public var line: Int

    public init(_ kind: Kind, _ message: String, endpoint: String = "", fileID: String = #fileID, line: Int = #line) {
        self.kind = kind
        self.message = message
        self.endpoint = endpoint
        self.fileID = fileID
        self.line = line
    }

    public var description: String {
        let at = endpoint.isEmpty ? "" : " (\(endpoint))"
        return "Redis \(kind.rawValue)\(at): \(message)"
    }
}
