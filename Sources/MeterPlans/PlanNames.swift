/// The shapes of identifiers in the catalog, checked so a typo fails at load, not at billing.
enum PlanNames {
    /// Plan ids and feature names: lower-case ASCII letters, digits, `_` and `-`, starting with a
    /// letter or digit.
    static let maxIdentifierBytes = 64

    static func identifierProblem(_ text: String) -> String? {
        guard let first = text.utf8.first else { return "is empty" }
        guard text.utf8.count <= maxIdentifierBytes else { return "is longer than \(maxIdentifierBytes) bytes" }
        func allowed(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F || byte == 0x2D }
        guard allowed(first), first != 0x5F, first != 0x2D, text.utf8.allSatisfy(allowed) else {
            return "must be lower-case letters, digits, '_' or '-'"
        }
        return nil
    }

    /// Metric names as the line protocol carries them (docs/line-protocol.md): no spaces and
    /// none of the protocol's separators.
    static let maxMetricBytes = 200

    static func metricProblem(_ text: String) -> String? {
        guard !text.isEmpty else { return "is empty" }
        guard text.utf8.count <= maxMetricBytes else { return "is longer than \(maxMetricBytes) bytes" }
        let forbidden: Set<Character> = [":", "|", "@", ",", "#", "="]
        guard !text.contains(where: { $0.isWhitespace || forbidden.contains($0) }) else {
            return "may not contain spaces or any of : | @ , # ="
        }
        return nil
    }

    /// ISO 4217: three upper-case letters.
    static func currencyProblem(_ text: String) -> String? {
        text.utf8.count == 3 && text.utf8.allSatisfy { (0x41...0x5A).contains($0) } ? nil : "must be an ISO 4217 code such as USD"
    }
}
