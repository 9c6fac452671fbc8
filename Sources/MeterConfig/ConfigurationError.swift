/// Why meterd's configuration cannot be used: every problem found, each naming the key (or the
/// file) and where the value came from. meterd prints `description` and exits with `exitCode`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The key, or nil for a problem with the file as a whole.
        public var key: String?
        /// Where the bad value came from (for a cross-key check: of the first key named).
        public var origin: ConfigOrigin
        /// The message, e.g. `limits.max_series (file /etc/meterd.yaml, line 3): must be at least 1`.
        public var message: String

        public var description: String { message }
    }

    public var problems: [Problem]

    /// EX_USAGE (64) when a command-line flag is at fault, as ArgumentParser's own errors;
    /// EX_CONFIG (78) when the problems are all in the config file or the environment.
    public var exitCode: Int32 {
        problems.contains { $0.origin.isFlag } ? Self.usageExitCode : Self.configExitCode
    }

    public static let usageExitCode: Int32 = 64
    public static let configExitCode: Int32 = 78

    public var description: String { problems.map(\.message).joined(separator: "\n") }
}
