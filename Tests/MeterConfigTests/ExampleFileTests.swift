import Foundation
import Testing
@testable import MeterConfig

/// config/meterd.yaml documents every key with its built-in default: it must not drift.
@Suite struct ExampleFileTests {
    @Test func exampleFileLoadsToTheBuiltInDefaults() throws {
        #expect(try load(file: exampleFilePath) == DaemonSettings())
    }

    /// Keys whose default is "off" are shown commented out; every other key is set.
    @Test func exampleFileListsEveryKey() throws {
        let file = try ConfigFile.read(path: exampleFilePath)
        let optional: Set = ["unix", "data_dir", "postgres", "redis", "http_auth.tokens", "http_auth.token_file", "plans.file",
                             "alerts.webhook_url", "alerts.webhook_secret"]
        #expect(Set(file.lines.keys) == Set(Setting.all.map(\.key)).subtracting(optional))
        let text = try String(contentsOfFile: exampleFilePath, encoding: .utf8)
        for key in optional {
            #expect(text.contains("\n# \(key): "), "config/meterd.yaml does not show \(key)")
        }
    }
}
