import Configuration
import Foundation
import Yams

/// The YAML config file, read once: swift-configuration's `YAMLSnapshot` of its bytes for the
/// values, and a walk of the same bytes with Yams for what the snapshot does not check: every
/// key must be known (a typo must not be ignored), hold a single value, and not be null.
struct ConfigFile {
    let path: String
    /// nil for a file without any key (empty, or only comments).
    let snapshot: YAMLSnapshot?
    /// The line of each key in the file, for error messages.
    let lines: [String: Int]

    static func read(path: String) throws(ConfigurationError) -> ConfigFile {
        func failure(_ problem: String, key: String? = nil, line: Int? = nil) -> ConfigurationError.Problem {
            let origin = ConfigOrigin.file(path: path, line: line)
            return .init(key: key, origin: origin, message: key.map { "\($0) (\(origin)): \(problem)" } ?? "config \(origin): \(problem)")
        }
        func fail(_ problem: String) -> ConfigurationError { ConfigurationError(problems: [failure(problem)]) }

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw fail("no such file") }
        guard !isDirectory.boolValue else { throw fail("is a directory, not a file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw fail(FileManager.default.isReadableFile(atPath: path) ? "cannot be read: \(error.localizedDescription)" : "cannot be read (permission denied)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("is not UTF-8 text") }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail("is not valid YAML: \(error)") }
        guard let root else { return ConfigFile(path: path, snapshot: nil, lines: [:]) }
        guard case .mapping(let mapping) = root else { throw fail("must be a mapping of keys to values (key: value), found \(kind(root))") }

        var lines: [String: Int] = [:]
        var problems: [ConfigurationError.Problem] = []
        var pending: [(prefix: [String], key: Node, value: Node)] = mapping.map { ([], $0.key, $0.value) }
        while !pending.isEmpty {
            let (prefix, keyNode, value) = pending.removeFirst()
            let line = keyNode.mark?.line
            guard case .scalar(let keyScalar) = keyNode else {
                problems.append(failure("a key must be plain text, found \(kind(keyNode))", line: line))
                continue
            }
            let components = prefix + [keyScalar.string]
            if case .mapping(let nested) = value {
                pending.append(contentsOf: nested.map { (components, $0.key, $0.value) })
                continue
            }
            let key = components.joined(separator: ".")
            lines[key] = line
            guard let setting = Setting.named(key) else {
                problems.append(failure("unknown key\(KeySuggestion.suggestion(for: key))", key: key, line: line))
                continue
            }
            switch value {
            case .scalar where value.null != nil:
                problems.append(failure("has no value (remove the line to keep the built-in default)", key: setting.key, line: line))
            case .scalar:
                break
            default:
                problems.append(failure("expected a single value, found \(kind(value))", key: setting.key, line: line))
            }
        }
        guard problems.isEmpty else {
            throw ConfigurationError(problems: problems.sorted { (lines[$0.key ?? ""] ?? 0) < (lines[$1.key ?? ""] ?? 0) })
        }

        let secrets = Set(Setting.all.filter(\.isSecret).map(\.key))
        do {
            let snapshot = try YAMLSnapshot(data: data.bytes, providerName: "file \(path)",
                                            parsingOptions: .init(secretsSpecifier: .specific(secrets)))
            return ConfigFile(path: path, snapshot: snapshot, lines: lines)
        } catch {
            throw fail("cannot be used: \(error)")
        }
    }

    private static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: "a single value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
