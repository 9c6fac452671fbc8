import Configuration
import MeterCore

/// Loads meterd's settings: each key from the first source that has it, in the order
/// command-line flags, environment (`METERD_*`), config file, built-in default
/// (`DaemonSettings()`); then checks them together. Pure apart from reading the file, so it
/// can be called again to re-read the file (a reload).
public enum DaemonConfiguration {
    /// The environment variable naming the config file when `--config` is not given.
    public static let fileEnvironmentName = "METERD_CONFIG"

    /// The config file to read: `--config`, else `METERD_CONFIG` (when not empty), else none.
    public static func filePath(flag: String?, environment: [String: String]) -> String? {
        if let flag { return flag }
        guard let path = environment[fileEnvironmentName], !path.isEmpty else { return nil }
        return path
    }

    /// The settings from `flags`, then `environment`, then the YAML file at `file`, then the
    /// built-in defaults.
    /// - Throws: every problem found, each naming the key and where its value came from.
    public static func load(file: String?, environment: [String: String],
                            flags: CommandLineValues) throws(ConfigurationError) -> DaemonSettings {
        let file = try file.map { path throws(ConfigurationError) in try ConfigFile.read(path: path) }
        let sources = sources(file: file, environment: environment, flags: flags)

        var settings = DaemonSettings()
        var given: [String: (text: String, origin: ConfigOrigin)] = [:]
        var problems: [ConfigurationError.Problem] = []
        for setting in Setting.all {
            let key = AbsoluteConfigKey(setting.components)
            for source in sources {
                let result: LookupResult
                do { result = try source.lookup(key) } catch {
                    let origin = source.origin(setting)
                    problems.append(.init(key: setting.key, origin: origin, message: "\(setting.key) (\(origin)): \(error)"))
                    break
                }
                guard let value = result.value else { continue }
                let origin = source.origin(setting)
                guard case .string(let text) = value.content else {
                    problems.append(.init(key: setting.key, origin: origin, message: "\(setting.key) (\(origin)): expected a single value"))
                    break
                }
                given[setting.key] = (text, origin)
                if let problem = setting.apply(&settings, text) {
                    problems.append(.init(key: setting.key, origin: origin, message: "\(setting.key) (\(origin)): \(problem)"))
                }
                break
            }
        }
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }

        problems = (engineProblems(settings.engine) + walProblems(settings)).map { message in
            problem(message, given: given)
        }
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return settings
    }

    // MARK: - Sources

    private struct Source {
        let lookup: (AbsoluteConfigKey) throws -> LookupResult
        let origin: (Setting) -> ConfigOrigin
    }

    /// The sources in precedence order, each a swift-configuration provider (or the file's snapshot).
    private static func sources(file: ConfigFile?, environment: [String: String], flags: CommandLineValues) -> [Source] {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, given) in flags.values {
            let setting = Setting.named(key)
            flagValues[AbsoluteConfigKey(setting?.components ?? [key])] = ConfigValue(.string(given.value), isSecret: setting?.isSecret ?? false)
        }
        let flagProvider = InMemoryProvider(name: "flags", values: flagValues)
        // `METERD_` + the key upper-cased, `.` as `_`: swift-configuration's environment key
        // encoding of the key prefixed with `meterd` (a test checks it equals Setting.environmentName).
        let secretNames = Set(Setting.all.filter(\.isSecret).map(\.environmentName))
        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secretNames))
            .prefixKeys(with: "meterd")

        var sources = [
            Source(lookup: { try flagProvider.value(forKey: $0, type: .string) },
                   origin: { .flag(flags.values[$0.key]?.flag ?? $0.flag ?? "--set \($0.key)") }),
            Source(lookup: { try environmentProvider.value(forKey: $0, type: .string) },
                   origin: { .environment(name: $0.environmentName) }),
        ]
        if let file, let snapshot = file.snapshot {
            sources.append(Source(lookup: { try snapshot.value(forKey: $0, type: .string) },
                                  origin: { .file(path: file.path, line: file.lines[$0.key]) }))
        }
        return sources
    }
}
