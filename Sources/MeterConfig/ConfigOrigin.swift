/// Where a setting's value came from, as error messages name it.
public enum ConfigOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The built-in default (`DaemonSettings()`).
    case builtInDefault
    /// The config file, with the line of the key when known.
    case file(path: String, line: Int?)
    /// An environment variable, by name (`METERD_UDP`).
    case environment(name: String)
    /// A command-line flag as written (`--udp`, or `--set limits.max_series`).
    case flag(String)

    public var description: String {
        switch self {
        case .builtInDefault: "built-in default"
        case .file(let path, let line?): "file \(path), line \(line)"
        case .file(let path, nil): "file \(path)"
        case .environment(let name): "environment \(name)"
        case .flag(let flag): "flag \(flag)"
        }
    }

    public var isFlag: Bool {
        if case .flag = self { return true }
        return false
    }
}
