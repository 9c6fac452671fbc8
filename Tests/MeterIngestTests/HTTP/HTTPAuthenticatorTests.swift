import Testing
@testable import MeterIngest

/// Bearer-token checks of the HTTP API (docs/http-api.md "Authentication").
@Suite struct HTTPAuthenticatorTests {
    static let token = "right-token-0123456789"

    static func authenticator(tokens: [String] = [token], exempt: [String] = HTTPAuthSettings.defaultExemptPaths) -> HTTPAuthenticator {
        var settings = HTTPAuthSettings()
        settings.tokens = tokens
        settings.exemptPaths = exempt
        return HTTPAuthenticator(settings: settings)
    }

    @Test func headerParsing() {
        #expect(BearerCredentials.parse(nil) == .missing)
        #expect(BearerCredentials.parse("Bearer abc") == .token("abc"))
        #expect(BearerCredentials.parse("bearer   abc.DEF_-~+/==  ") == .token("abc.DEF_-~+/=="))
        #expect(BearerCredentials.parse("BEARER abc") == .token("abc"))
        #expect(BearerCredentials.parse("Basic dXNlcjpwYXNz") == .malformed)
        #expect(BearerCredentials.parse("Bearer") == .malformed)
        #expect(BearerCredentials.parse("Bearer ") == .malformed)
        #expect(BearerCredentials.parse("Bearerabc") == .malformed)
        #expect(BearerCredentials.parse("Bearer a b") == .malformed)
        #expect(BearerCredentials.parse("Bearer ab\"c") == .malformed)
        #expect(BearerCredentials.parse("Bearer " + String(repeating: "a", count: HTTPAuthSettings.maximumTokenBytes + 1)) == .malformed)
    }

    @Test func onlyAConfiguredTokenPasses() {
        let auth = Self.authenticator(tokens: ["other-token-0123456789", Self.token])
        #expect(auth.refusal(path: "/v1/events", authorization: "Bearer \(Self.token)") == nil)
        #expect(auth.refusal(path: "/v1/events", authorization: "Bearer other-token-0123456789") == nil)
        #expect(auth.refusal(path: "/v1/events", authorization: nil) == .missing)
        #expect(auth.refusal(path: "/v1/events", authorization: "Basic abc") == .malformed)
        #expect(auth.refusal(path: "/v1/events", authorization: "Bearer right-token-012345678") == .invalid)  // a prefix
        #expect(auth.refusal(path: "/v1/events", authorization: "Bearer right-token-01234567890") == .invalid)  // longer
        #expect(auth.refusal(path: "/v1/events", authorization: "Bearer Right-token-0123456789") == .invalid)  // case
        #expect(auth.refusal(path: "/debug/rollups", authorization: "Bearer wrong") == .invalid)
    }

    @Test func exemptPathsNeedNoToken() {
        let auth = Self.authenticator()
        for path in ["/metrics", "/healthz", "/readyz"] {
            #expect(auth.refusal(path: path, authorization: nil) == nil)
            #expect(auth.refusal(path: path, authorization: "Bearer wrong") == nil)
        }
        #expect(auth.refusal(path: "/metrics/", authorization: nil) == .missing)  // exact match only
        let narrowed = Self.authenticator(exempt: ["/healthz"])
        #expect(narrowed.refusal(path: "/metrics", authorization: nil) == .missing)
        #expect(narrowed.refusal(path: "/healthz", authorization: nil) == nil)
    }

    @Test func withoutTokensOnlyExemptPathsAreServed() {
        let auth = Self.authenticator(tokens: [])
        #expect(!auth.hasTokens)
        #expect(auth.refusal(path: "/metrics", authorization: nil) == nil)
        #expect(auth.refusal(path: "/v1/events", authorization: "Bearer anything-at-all-0123") == .notConfigured)
        #expect(auth.refusal(path: "/v1/events", authorization: nil) == .notConfigured)
    }

    @Test func constantTimeEqualCompares() {
        let expected = Array("abcdefghijklmnop".utf8)
        #expect(HTTPAuthenticator.constantTimeEqual(expected, expected))
        #expect(!HTTPAuthenticator.constantTimeEqual(Array("abcdefghijklmnoq".utf8), expected))
        #expect(!HTTPAuthenticator.constantTimeEqual(Array("abcdefghijklmno".utf8), expected))
        // A presented value repeating the expected one must not match through the modulo index.
        #expect(!HTTPAuthenticator.constantTimeEqual(expected + expected, expected))
        #expect(!HTTPAuthenticator.constantTimeEqual([], expected))
        #expect(!HTTPAuthenticator.constantTimeEqual(expected, []))
    }

    @Test func settingsRefuseWeakTokens() {
        #expect(HTTPAuthSettings.parseTokens("a-long-enough-token-01, ") == .success(["a-long-enough-token-01"]))
        guard case .failure(let problem) = HTTPAuthSettings.parseTokens("short") else {
            Issue.record("a 5-byte token was accepted")
            return
        }
        #expect(problem.description == "token 1 is shorter than 16 bytes")
    }
}
