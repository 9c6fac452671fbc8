/// Who may call the HTTP API (config keys `http_auth.*`, docs/http-api.md "Authentication").
///
/// Every path except `exemptPaths` needs `Authorization: Bearer <token>` with one of the
/// configured tokens. With no token configured those paths are refused (401
/// `no_token_configured`): secure by default; `scripts/run-local.sh` generates a token.
public struct HTTPAuthSettings: Sendable, Hashable {
    /// Shortest token accepted in the configuration: guessing must stay out of reach.
    public static let minimumTokenBytes = 16
    /// Longest token accepted (configured or presented): bounds the comparison's work.
    public static let maximumTokenBytes = 512
    /// The paths open without a token by default: scraping and probes.
    public static let defaultExemptPaths = ["/metrics", "/healthz", "/readyz"]

    /// `http_auth.tokens`: tokens given in the configuration (comma-separated), secrets.
    public var tokens: [String] = []
    /// `http_auth.token_file`: a file of tokens, one per line, read at start-up.
    public var tokenFile: HTTPTokenFile?
    /// `http_auth.exempt_paths`: paths answered without a token (exact match).
    public var exemptPaths = Self.defaultExemptPaths

    public init() {}

    /// Every accepted token: the configured ones and the file's.
    public var allTokens: [String] { tokens + (tokenFile?.tokens ?? []) }

    /// Splits a comma-separated list of tokens; the problem names no token (they are secrets).
    public static func parseTokens(_ text: String) -> Result<[String], HTTPAuthProblem> {
        let tokens = text.split(separator: ",").map { String($0.trimmingWhitespace) }.filter { !$0.isEmpty }
        for (index, token) in tokens.enumerated() {
            if let problem = Self.problem(token: token) { return .failure(HTTPAuthProblem(description: "token \(index + 1) \(problem)")) }
        }
        return .success(tokens)
    }

    /// What makes `token` unusable: the RFC 6750 token characters, and a length in bounds.
    static func problem(token: String) -> String? {
        if token.utf8.count < minimumTokenBytes { return "is shorter than \(minimumTokenBytes) bytes" }
        if token.utf8.count > maximumTokenBytes { return "is longer than \(maximumTokenBytes) bytes" }
        if !token.utf8.allSatisfy(BearerCredentials.isTokenByte) {
            return "holds a character outside A-Z a-z 0-9 - . _ ~ + / ="
        }
        return nil
    }
}

/// The tokens of `http_auth.token_file`, read when the configuration is loaded.
public struct HTTPTokenFile: Sendable, Hashable {
    public let path: String
    public let tokens: [String]

    public init(path: String, tokens: [String]) {
        self.path = path
        self.tokens = tokens
    }

    /// One token per line; blank lines and lines starting with `#` are skipped.
    public static func parse(path: String, contents: String) -> Result<HTTPTokenFile, HTTPAuthProblem> {
        var tokens: [String] = []
        for (number, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let token = String(line.trimmingWhitespace)
            if token.isEmpty || token.hasPrefix("#") { continue }
            if let problem = HTTPAuthSettings.problem(token: token) {
                return .failure(HTTPAuthProblem(description: "line \(number + 1) of \(path): the token \(problem)"))
            }
            tokens.append(token)
        }
        guard !tokens.isEmpty else { return .failure(HTTPAuthProblem(description: "\(path) holds no token")) }
        return .success(HTTPTokenFile(path: path, tokens: tokens))
    }
}

public struct HTTPAuthProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

extension StringProtocol {
    var trimmingWhitespace: SubSequence {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
