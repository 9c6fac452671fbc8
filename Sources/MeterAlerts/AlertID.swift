import Crypto
import MeterCore

/// The stable id of an alert: SHA-256 over a versioned, length-prefixed encoding of
/// (tenant, metric, period start, quota, level), its first 16 bytes laid out as an RFC 9562
/// version 8 (custom) UUID. Length prefixes keep `("ab", "c")` and `("a", "bc")` apart.
enum AlertID {
    static let domain = "meterd-threshold-alert-v1"

    static func make(for alert: ThresholdAlert) -> String {
        var bytes: [UInt8] = []
        for field in [domain, alert.tenant, alert.metric, String(alert.periodStart), alert.quota.description,
                      String(alert.level.rawValue)] {
            let utf8 = Array(field.utf8)
            let length = UInt32(utf8.count)
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            bytes += utf8
        }
        var uuid = Array(SHA256.hash(data: bytes).prefix(16))
        uuid[6] = (uuid[6] & 0x0F) | 0x80  // version 8
        uuid[8] = (uuid[8] & 0x3F) | 0x80  // variant 10
        let hex = uuid.map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
