import Foundation
@testable import MeterConfig

/// A temporary YAML file with `text`, removed by `remove()`.
struct TemporaryConfigFile {
    let path: String

    init(_ text: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("meterd-config-\(UUID().uuidString.prefix(8)).yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Loads with the given sources; flags by key (`"udp": "..."`) plus `--set` assignments.
func load(file: String? = nil, environment: [String: String] = [:], flags: [String: String?] = [:],
          set: [String] = []) throws(ConfigurationError) -> DaemonSettings {
    try DaemonConfiguration.load(file: file, environment: environment,
                                 flags: CommandLineValues(flags: flags, assignments: set))
}

/// The error `body` throws, or nil.
func configurationError(_ body: () throws -> Void) -> ConfigurationError? {
    do { try body() } catch let error as ConfigurationError { return error } catch { return nil }
    return nil
}

/// The repository's `config/meterd.yaml`.
let exampleFilePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("config/meterd.yaml").path
