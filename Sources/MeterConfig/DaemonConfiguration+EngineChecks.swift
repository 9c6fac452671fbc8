import MeterCore
import MeterIngest
import MeterWAL

/// The checks across keys, after each value passed its own: the engine's
/// (`EngineConfiguration.validationErrors()`, `DedupSettings.validationErrors()`), reworded to
/// name the key first with its source, and the other keys the message names with theirs.
extension DaemonConfiguration {
    /// The engine's own checks (`EngineConfiguration`, `DedupSettings`), one message each.
    static func engineProblems(_ engine: EngineConfiguration) -> [String] {
        var dedup = DedupSettings()
        dedup.windowSeconds = engine.dedupWindowSeconds
        dedup.maxEntries = engine.dedupMaxEntries
        var messages = engine.validationErrors()
        // The window's own bound applies even when deduplication is off: the shards build it.
        if !(1...DedupWindow.maxEntriesLimit).contains(engine.dedupMaxEntries) {
            messages.removeAll { $0.hasPrefix("dedup.max_entries") }
            messages.append("dedup.max_entries must be between 1 and \(DedupWindow.maxEntriesLimit)")
        }
        for message in dedup.validationErrors() where !messages.contains(message) { messages.append(message) }
        return messages
    }

    /// The WAL's own checks, and that one drained shard batch fits one WAL entry (a shard
    /// logs each batch it drains as one entry: 8 bytes of header and the batch).
    static func walProblems(_ settings: DaemonSettings) -> [String] {
        var messages: [String] = []
        if let problem = settings.wal.problem { messages.append(problem) }
        if let problem = settings.httpEvents.problem { messages.append(problem) }
        if let problem = settings.usageQuery.problem { messages.append(problem) }
        messages += settings.alerts.problems
        if !(0...19).contains(settings.shardNiceness) { messages.append("ring.shard_niceness must be between 0 and 19") }
        let entry = EngineConfiguration.drainBatchBytes(batchBytes: settings.engine.batchBytes) + 8
        if settings.wal.maxEntryBytes < entry {
            messages.append("wal.max_entry_bytes must be at least \(entry) (a shard's drained batch: 4 times ingest.batch_bytes, at least 256 KiB, plus 8)")
        }
        return messages
    }

    /// An engine message (`ring.bytes_per_shard must be at least ingest.batch_bytes ...`) as
    /// `KEY (ORIGIN): must be ..., got 'VALUE'`, with the origin of every other key it names.
    static func problem(_ message: String, given: [String: (text: String, origin: ConfigOrigin)]) -> ConfigurationError.Problem {
        let named = keys(in: message)
        func describe(_ key: String) -> String {
            guard let (text, origin) = given[key] else { return "\(key) is the built-in default" }
            return Setting.named(key)?.isSecret == true ? "\(key) from \(origin)" : "\(key) is '\(text)' from \(origin)"
        }
        guard let subject = named.first else {
            return .init(key: nil, origin: .builtInDefault, message: "configuration: \(message)")
        }
        let origin = given[subject]?.origin ?? .builtInDefault
        var text = message.hasPrefix(subject + " ") ? "\(subject) (\(origin)): \(message.dropFirst(subject.count + 1))"
                                                    : "\(subject) (\(origin)): \(message)"
        if let value = given[subject]?.text { text += ", got '\(value)'" }
        let others = named.dropFirst().map(describe)
        if !others.isEmpty { text += " (\(others.joined(separator: "; ")))" }
        return .init(key: subject, origin: origin, message: text)
    }

    /// The known keys a message names, in order, each once.
    static func keys(in message: String) -> [String] {
        var keys: [String] = []
        let tokens = message.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
        for token in tokens {
            var token = Substring(token)
            while token.hasSuffix(".") { token = token.dropLast() }
            if Setting.named(String(token)) != nil, !keys.contains(String(token)) { keys.append(String(token)) }
        }
        return keys
    }
}
