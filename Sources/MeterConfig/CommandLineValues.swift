/// The settings given on the command line: each dedicated flag that was given (`--udp`), and
/// every `--set KEY=VALUE`. A dedicated flag wins over `--set` of the same key; of several
/// `--set` of one key the last wins. Values stay text: `DaemonConfiguration` checks them like
/// the file's and the environment's.
public struct CommandLineValues: Sendable, Hashable {
    /// key -> (value, the flag as written)
    private(set) var values: [String: Given] = [:]

    struct Given: Sendable, Hashable {
        var value: String
        var flag: String
    }

    public init() {}

    /// - Parameters:
    ///   - flags: the dedicated flags by key (`"udp": "127.0.0.1:8125"`); nil when not given.
    ///   - assignments: the `--set` values, `KEY=VALUE`, in order.
    public init(flags: [String: String?], assignments: [String]) throws(ConfigurationError) {
        var problems: [ConfigurationError.Problem] = []
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                problems.append(.init(key: nil, origin: .flag("--set"),
                                      message: "--set: expected KEY=VALUE, got '\(assignment)'"))
                continue
            }
            let key = String(assignment[..<equals])
            let flag = "--set \(key)"
            guard Setting.named(key) != nil else {
                problems.append(.init(key: key, origin: .flag(flag),
                                      message: "\(key) (flag \(flag)): unknown key\(KeySuggestion.suggestion(for: key))"))
                continue
            }
            values[key] = Given(value: String(assignment[assignment.index(after: equals)...]), flag: flag)
        }
        for (key, value) in flags {
            guard let value else { continue }
            guard let setting = Setting.named(key) else { preconditionFailure("no key \(key)") }
            values[key] = Given(value: value, flag: setting.flag ?? "--set \(key)")
        }
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
    }
}
