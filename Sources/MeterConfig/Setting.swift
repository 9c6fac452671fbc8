import Logging
import MeterIngest

/// One configuration key: its dotted name (as in the config file), its environment variable
/// and flag, and how a value given as text is checked and stored into `DaemonSettings`.
///
/// Naming rules (docs/daemon.md "Configuration"):
/// - file: the dotted key, nested (`limits:` then `max_series: 5`) or written flat;
/// - environment: `METERD_` + the key upper-cased with every `.` replaced by `_`
///   (`limits.max_series_per_tenant` is `METERD_LIMITS_MAX_SERIES_PER_TENANT`);
/// - flags: the dedicated flag when there is one (`--udp`, `--data-dir`, `--shards`), and
///   `--set KEY=VALUE` for every key.
public struct Setting: Sendable {
    /// The dotted key, e.g. `limits.max_series_per_tenant`.
    public let key: String
    /// The dedicated flag, e.g. `--flush-interval`; nil when only `--set` sets it.
    public let flag: String?
    /// A secret (a connection string that may carry a password): its value is never logged
    /// or echoed in an error message, and swift-configuration redacts it.
    public let isSecret: Bool
    /// Checks `text` and stores it; returns the problem (without the key) when it is bad.
    let apply: @Sendable (inout DaemonSettings, String) -> String?

    /// The environment variable that sets this key.
    public var environmentName: String { Self.environmentName(forKey: key) }

    /// `METERD_` + the key upper-cased with `.` replaced by `_`.
    public static func environmentName(forKey key: String) -> String {
        "METERD_" + String(key.uppercased().map { $0 == "." ? "_" : $0 })
    }

    /// The dotted key's components, as swift-configuration addresses it.
    var components: [String] { key.split(separator: ".").map(String.init) }
}

// MARK: - Value kinds

extension Setting {
    /// An integer; its bounds are checked by `EngineConfiguration.validationErrors()`.
    static func int(_ key: String, flag: String? = nil, _ store: @escaping @Sendable (inout DaemonSettings, Int) -> Void) -> Setting {
        Setting(key: key, flag: flag, isSecret: false) { settings, text in
            guard let value = Int(text.trimmingSpaces) else { return "expected an integer, got '\(text)'" }
            store(&settings, value)
            return nil
        }
    }

    static func int64(_ key: String, _ store: @escaping @Sendable (inout DaemonSettings, Int64) -> Void) -> Setting {
        Setting(key: key, flag: nil, isSecret: false) { settings, text in
            guard let value = Int64(text.trimmingSpaces) else { return "expected an integer, got '\(text)'" }
            store(&settings, value)
            return nil
        }
    }

    static func address(_ key: String, flag: String, _ store: @escaping @Sendable (inout DaemonSettings, ListenAddress) -> Void) -> Setting {
        Setting(key: key, flag: flag, isSecret: false) { settings, text in
            switch ListenAddress.parse(text) {
            case .success(let address): store(&settings, address); return nil
            case .failure(let problem): return "\(problem), got '\(text)'"
            }
        }
    }

    /// A non-empty string; a secret's value is never repeated in the problem.
    static func text(_ key: String, flag: String?, secret: Bool = false, what: String,
                     _ store: @escaping @Sendable (inout DaemonSettings, String) -> Void) -> Setting {
        Setting(key: key, flag: flag, isSecret: secret) { settings, text in
            guard !text.allSatisfy(\.isWhitespace) else { return "the \(what) is empty" }
            store(&settings, text)
            return nil
        }
    }

    /// A PostgreSQL interval of one number and one unit (`7 days`, `1 month`); with `canBeOff`,
    /// `off` (or `false`) stores nil.
    static func interval(_ key: String, canBeOff: Bool = false,
                         _ store: @escaping @Sendable (inout DaemonSettings, String?) -> Void) -> Setting {
        Setting(key: key, flag: nil, isSecret: false) { settings, text in
            let value = String(text.trimmingSpaces).lowercased()
            if canBeOff && (value == "off" || value == "false") {
                store(&settings, nil)
                return nil
            }
            let units = ["second", "minute", "hour", "day", "week", "month", "year"]
            let parts = value.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let count = Int(parts[0]), count > 0,
                  units.contains(where: { parts[1] == $0 || parts[1] == $0 + "s" }) else {
                return "expected a number and a unit (e.g. '7 days', '1 month')\(canBeOff ? " or 'off'" : ""), got '\(text)'"
            }
            store(&settings, "\(count) \(parts[1])")
            return nil
        }
    }

    static func bool(_ key: String, flag: String?, _ store: @escaping @Sendable (inout DaemonSettings, Bool) -> Void) -> Setting {
        Setting(key: key, flag: flag, isSecret: false) { settings, text in
            switch text.trimmingSpaces.lowercased() {
            case "true", "yes", "on", "1": store(&settings, true)
            case "false", "no", "off", "0": store(&settings, false)
            default: return "expected true or false, got '\(text)'"
            }
            return nil
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
