import Crypto

/// The webhook signature (docs/alerts.md "Verifying a webhook"): header
/// `Meterd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// The timestamp is signed with the body, so a captured request cannot be replayed later than
/// the receiver's tolerance; each retry is signed anew with its own time.
public enum AlertSignature {
    public static let headerName = "Meterd-Signature"
    /// What receivers should accept by default: five minutes either way.
    public static let defaultTolerance: Int64 = 300

    /// The header value for `body` sent at `timestamp` (Unix seconds).
    public static func header(body: String, secret: String, timestamp: Int64) -> String {
        "t=\(timestamp),v1=\(hex(mac(body: body, secret: secret, timestamp: timestamp)))"
    }

    public enum Verdict: Sendable, Hashable {
        case valid
        /// The header is missing parts or is not `t=…,v1=…`.
        case malformed
        /// The timestamp is further than the tolerance from the receiver's clock.
        case outsideTolerance
        /// No `v1` signature matches the body and secret.
        case mismatch
    }

    /// What a receiver does: parse the header, check the time, recompute the MAC and compare it
    /// in constant time. Several `v1=` entries are allowed (secret rotation): one must match.
    public static func verify(header: String, body: String, secret: String, now: Int64,
                              tolerance: Int64 = defaultTolerance) -> Verdict {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return .malformed }
            let key = pair[0].trimmingCharacters(), value = pair[1].trimmingCharacters()
            switch key {
            case "t": timestamp = Int64(value)
            case "v1":
                guard let bytes = bytes(fromHex: value) else { return .malformed }
                signatures.append(bytes)
            default: continue  // other schemes: ignored, so a v2 can be added beside v1
            }
        }
        guard let timestamp, !signatures.isEmpty else { return .malformed }
        guard abs(now - timestamp) <= tolerance else { return .outsideTolerance }
        let key = SymmetricKey(data: Array(secret.utf8))
        let message = Array("\(timestamp).\(body)".utf8)
        for signature in signatures where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: key) {
            return .valid
        }
        return .mismatch
    }

    static func mac(body: String, secret: String, timestamp: Int64) -> [UInt8] {
        let key = SymmetricKey(data: Array(secret.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: key))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
