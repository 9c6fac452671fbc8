/// A parsed `#checked` line of the stream protocol (`#check <tenant> <metric>`, docs/quotas.md):
/// the tenant, the metric and the `key=value` fields in the order meterd sent them.
public struct CheckAnswer: Equatable, Sendable {
    public var tenant: String
    public var metric: String
    public var fields: [(key: String, value: String)]

    public static func == (lhs: CheckAnswer, rhs: CheckAnswer) -> Bool {
        lhs.tenant == rhs.tenant && lhs.metric == rhs.metric && lhs.fields.elementsEqual(rhs.fields) { $0 == $1 }
    }

    /// nil when `line` is not a `#checked` line.
    public init?(line: String) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 3, words[0] == "#checked" else { return nil }
        tenant = String(words[1])
        metric = String(words[2])
        fields = words.dropFirst(3).compactMap { word in
            guard let equals = word.firstIndex(of: "=") else { return nil }
            return (String(word[..<equals]), String(word[word.index(after: equals)...]))
        }
    }

    public subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    /// The answer as aligned `label  value` lines for people.
    public var table: String {
        var rows: [(String, String)] = [("tenant", tenant), ("metric", metric)]
        if let plan = self["plan"] { rows.append(("plan", plan)) }
        rows.append(("allowed", "\(self["allowed"] ?? "?") (\(self["reason"] ?? "?"))"))
        for key in ["used", "limit", "remaining"] { if let value = self[key] { rows.append((key, value)) } }
        if let start = self["period_start"], let end = self["period_end"] { rows.append(("period", "\(start) .. \(end)")) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }
}
