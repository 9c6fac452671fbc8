/// Decides whether an HTTP request may proceed: exempt paths always, others with one of the
/// configured bearer tokens. Tokens are compared in constant time so response timing does
/// not reveal how much of a guess was right.
public struct HTTPAuthenticator: Sendable {
    /// Why a request was refused: the `reason` label of `meterd_http_auth_failures_total`.
    public enum Refusal: String, Sendable, CaseIterable {
        /// No `Authorization` header.
        case missing
        /// Not `Bearer <token>`, or a token with characters a bearer token cannot hold.
        case malformed
        /// A well-formed token that is not one of the configured ones.
        case invalid = "invalid_token"
        /// meterd has no token configured: nothing but the exempt paths is served.
        case notConfigured = "no_token_configured"

        /// What the 401 body says.
        public var message: String {
            switch self {
            case .missing: "this endpoint needs an Authorization: Bearer <token> header"
            case .malformed: "the Authorization header is not 'Bearer <token>' with a token of A-Z a-z 0-9 - . _ ~ + / ="
            case .invalid: "the bearer token is not one meterd is configured with"
            case .notConfigured: "meterd has no API token configured (set http_auth.tokens or http_auth.token_file); only the exempt paths are served"
            }
        }
    }

    private let tokens: [[UInt8]]
    private let exemptPaths: Set<String>

    public init(settings: HTTPAuthSettings) {
        tokens = settings.allTokens.map { Array($0.utf8) }
        exemptPaths = Set(settings.exemptPaths)
    }

    public var hasTokens: Bool { !tokens.isEmpty }

    public func isExempt(path: String) -> Bool { exemptPaths.contains(path) }

    /// nil when the request may proceed; else why it is refused.
    /// - Parameter authorization: the `Authorization` header's value, nil when absent.
    public func refusal(path: String, authorization: String?) -> Refusal? {
        if isExempt(path: path) { return nil }
        guard hasTokens else { return .notConfigured }
        switch BearerCredentials.parse(authorization) {
        case .missing: return .missing
        case .malformed: return .malformed
        case .token(let presented):
            let bytes = Array(presented.utf8)
            // Every configured token is compared, whichever matches.
            var matched = false
            for token in tokens { matched = Self.constantTimeEqual(bytes, token) || matched }
            return matched ? nil : .invalid
        }
    }

    /// Equality whose running time depends only on the presented token's length: every byte
    /// is visited and differences are OR-ed together instead of returning at the first one.
    static func constantTimeEqual(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return false }
        var difference = UInt(bitPattern: presented.count ^ expected.count)
        for index in presented.indices {
            difference |= UInt(presented[index] ^ expected[index % expected.count])
        }
        return difference == 0
    }
}
