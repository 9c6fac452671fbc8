import Crypto
import Foundation
import Testing
@testable import MeterAlerts

@Suite struct SignatureTests {
    let body = "{\"version\":1,\"id\":\"x\"}"
    let secret = "s3cret"

    @Test func headerIsTheHMACOfTimestampDotBody() {
        let header = AlertSignature.header(body: body, secret: secret, timestamp: 1_700_000_000)
        // Computed independently with swift-crypto over "<t>.<body>".
        let expected = HMAC<SHA256>.authenticationCode(for: Array("1700000000.\(body)".utf8),
                                                       using: SymmetricKey(data: Array(secret.utf8)))
        #expect(header == "t=1700000000,v1=" + expected.map { String($0, radix: 16).leftPadded(to: 2) }.joined())
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let rfc = AlertSignature.hex(Array(HMAC<SHA256>.authenticationCode(
            for: Array("what do ya want for nothing?".utf8), using: SymmetricKey(data: Array("Jefe".utf8)))))
        #expect(rfc == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func receiverVerification() {
        let now: Int64 = 1_700_000_000
        let header = AlertSignature.header(body: body, secret: secret, timestamp: now)
        #expect(AlertSignature.verify(header: header, body: body, secret: secret, now: now + 10) == .valid)
        #expect(AlertSignature.verify(header: header, body: body + " ", secret: secret, now: now) == .mismatch)
        #expect(AlertSignature.verify(header: header, body: body, secret: "other", now: now) == .mismatch)
        #expect(AlertSignature.verify(header: header, body: body, secret: secret, now: now + 301) == .outsideTolerance)
        #expect(AlertSignature.verify(header: header, body: body, secret: secret, now: now - 301) == .outsideTolerance)
        #expect(AlertSignature.verify(header: "v1=abcd", body: body, secret: secret, now: now) == .malformed)
        #expect(AlertSignature.verify(header: "t=\(now),v1=zz", body: body, secret: secret, now: now) == .malformed)
        // A replayed signature under a new timestamp does not verify.
        let forged = header.replacingOccurrences(of: "t=\(now)", with: "t=\(now + 1000)")
        #expect(AlertSignature.verify(header: forged, body: body, secret: secret, now: now + 1000) == .mismatch)
        // Rotation: one matching v1 among several is enough.
        let rotated = header + ",v1=" + String(repeating: "0", count: 64)
        #expect(AlertSignature.verify(header: rotated, body: body, secret: secret, now: now) == .valid)
    }
}
