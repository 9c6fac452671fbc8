/// "Did you mean" for a misspelt key or environment variable.
enum KeySuggestion {
    /// ` (did you mean 'KEY'?)` for the closest known key, when one is close.
    static func suggestion(for key: String) -> String {
        closest(to: key, among: Setting.all.map(\.key)).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The candidate nearest to `text`, if it is within max(2, a quarter of its length) edits.
    static func closest(to text: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance($0, text)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, text.count / 4) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

extension DaemonConfiguration {
    /// Warnings for `METERD_*` variables that are not settings but close to one (a likely
    /// typo, which would otherwise be ignored). Other `METERD_*` variables are left alone: the
    /// environment is shared (the test scripts export `METERD_POSTGRES_URL`, `METERD_TEST_*`).
    public static func environmentWarnings(_ environment: [String: String]) -> [String] {
        let names = Setting.all.map(\.environmentName) + [fileEnvironmentName]
        return environment.keys.filter { $0.hasPrefix("METERD_") && !names.contains($0) }.sorted().compactMap { name in
            // At most two edits: METERD_POSTGRES_URL (the test scripts') is four from METERD_POSTGRES.
            let scored = names.map { ($0, KeySuggestion.editDistance($0, name)) }
            guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
            return "environment variable \(name) is not a setting and is ignored (did you mean \(best.0)?)"
        }
    }
}
