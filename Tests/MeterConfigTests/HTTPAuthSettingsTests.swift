import Foundation
import MeterIngest
import Testing
@testable import MeterConfig

/// The `http_auth.*` keys: tokens from the environment and a file, exempt paths, and errors
/// that never repeat a token.
@Suite struct HTTPAuthSettingsTests {
    @Test func tokensComeFromTheEnvironmentCommaSeparated() throws {
        let settings = try load(environment: ["METERD_HTTP_AUTH_TOKENS": " first-token-0123456789 , second-token-0123456789 "])
        #expect(settings.httpAuth.tokens == ["first-token-0123456789", "second-token-0123456789"])
        #expect(settings.httpAuth.exemptPaths == ["/metrics", "/healthz", "/readyz"])
    }

    @Test func aShortTokenIsRefusedWithoutEchoingIt() throws {
        let error = try #require(configurationError {
            _ = try load(environment: ["METERD_HTTP_AUTH_TOKENS": "good-token-0123456789,hunter2"])
        })
        #expect(error.description.contains("token 2 is shorter than 16 bytes"), "\(error)")
        #expect(!error.description.contains("hunter2"))
        #expect(!error.description.contains("good-token"))
    }

    @Test func theTokenFileIsReadAtLoad() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-tokens-\(UUID().uuidString.prefix(8))").path
        try Data("# rotation in progress\nfile-token-0123456789\n\n  second-file-token-0123  \n".utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try load(set: ["http_auth.token_file=\(path)", "http_auth.tokens=flag-token-0123456789"])
        #expect(settings.httpAuth.allTokens == ["flag-token-0123456789", "file-token-0123456789", "second-file-token-0123"])
    }

    @Test func aMissingOrBadTokenFileStopsTheLoad() throws {
        let missing = try #require(configurationError { _ = try load(set: ["http_auth.token_file=/nonexistent/meterd-tokens"]) })
        #expect(missing.description.contains("cannot read /nonexistent/meterd-tokens"), "\(missing)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-tokens-\(UUID().uuidString.prefix(8))").path
        try Data("ok-token-0123456789abc\nhas space inside token\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bad = try #require(configurationError { _ = try load(set: ["http_auth.token_file=\(path)"]) })
        #expect(bad.description.contains("line 2 of \(path): the token holds a character outside"), "\(bad)")
        #expect(!bad.description.contains("has space"))
    }

    @Test func exemptPathsMustBePaths() throws {
        let settings = try load(set: ["http_auth.exempt_paths=/healthz"])
        #expect(settings.httpAuth.exemptPaths == ["/healthz"])
        let error = try #require(configurationError { _ = try load(set: ["http_auth.exempt_paths=/metrics,healthz"]) })
        #expect(error.description.contains("every path starts with '/', got 'healthz'"), "\(error)")
    }
}
