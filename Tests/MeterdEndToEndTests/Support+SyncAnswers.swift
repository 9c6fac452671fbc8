import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `#synced` answer line, parsed (docs/line-protocol.md, "Sync barrier").
struct SyncAnswer: Equatable {
    var token: String
    var accepted: Int
    var duplicate: Int
    var refused: Int
    var durable: Bool
    /// Refused lines by reason label, e.g. `wal_full`.
    var reasons: [String: Int]

    /// Nil unless `line` is `#synced TOKEN accepted=A duplicate=D refused=R durable=yes|no ...`.
    init?(_ line: String) {
        let words = line.split(separator: " ").map(String.init)
        guard words.count >= 6, words[0] == "#synced" else { return nil }
        token = words[1]
        var fields: [String: String] = [:]
        for word in words.dropFirst(2) {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            fields[parts[0]] = parts[1]
        }
        guard let accepted = fields.removeValue(forKey: "accepted").flatMap(Int.init),
              let duplicate = fields.removeValue(forKey: "duplicate").flatMap(Int.init),
              let refused = fields.removeValue(forKey: "refused").flatMap(Int.init),
              let durable = fields.removeValue(forKey: "durable") else { return nil }
        self.accepted = accepted
        self.duplicate = duplicate
        self.refused = refused
        self.durable = durable == "yes"
        reasons = fields.compactMapValues(Int.init)
    }

    /// Writes `lines` then `#sync token` on `fd` and reads the answer (nil: no answer in time).
    static func exchange(_ fd: Int32, lines: [String], token: String, timeout: Double = 15) throws -> SyncAnswer? {
        try TestSockets.writeAll(fd, Array((lines.map { $0 + "\n" }.joined() + "#sync \(token)\n").utf8))
        let answers = SyncBarrierEndToEndTests.readLines(fd, count: 1, timeout: timeout)
        return answers.first.flatMap(SyncAnswer.init)
    }
}
