import Foundation
import Testing
@testable import MeterConfig

@Suite struct ErrorTests {
    @Test func unknownFileKeyIsNamedWithItsLineAndASuggestion() throws {
        let file = try TemporaryConfigFile("""
            udp: 127.0.0.1:8125
            limits:
              max_seris_per_tenant: 5
            bogus: 1
            """)
        defer { file.remove() }
        let error = try #require(configurationError { _ = try load(file: file.path) })
        #expect(error.problems.map(\.key) == ["limits.max_seris_per_tenant", "bogus"])
        #expect(error.problems[0].message
            == "limits.max_seris_per_tenant (file \(file.path), line 3): unknown key (did you mean 'limits.max_series_per_tenant'?)")
        #expect(error.problems[1].message == "bogus (file \(file.path), line 4): unknown key")
        #expect(error.exitCode == 78)
    }

    @Test func unknownSetKeyIsAUsageError() {
        let error = configurationError { _ = try load(set: ["limits.max_sereis=5"]) }
        #expect(error?.description == "limits.max_sereis (flag --set limits.max_sereis): unknown key (did you mean 'limits.max_series'?)")
        #expect(error?.exitCode == 64)
        #expect(configurationError { _ = try load(set: ["ring.shards"]) }?.description == "--set: expected KEY=VALUE, got 'ring.shards'")
    }

    @Test(arguments: [
        // (file, environment, flags, expected message)
        ("ring.shards: 0\n", [:], [:], "ring.shards (file FILE, line 1): must be between 1 and 256, got '0'"),
        ("", ["METERD_RING_SHARDS": "many"], [:], "ring.shards (environment METERD_RING_SHARDS): expected an integer, got 'many'"),
        ("ring.shards: 4\n", ["METERD_RING_SHARDS": "3"], ["ring.shards": "300"],
         "ring.shards (flag --shards): must be between 1 and 256, got '300'"),
        ("udp: nope\n", [:], [:], "udp (file FILE, line 1): expected HOST:PORT (no ':' found), got 'nope'"),
        ("", ["METERD_FLUSH_INTERVAL": "0"], [:], "flush_interval (environment METERD_FLUSH_INTERVAL): must be between 0.01 and 86400 seconds, got '0'"),
        ("log_level: loud\n", [:], [:],
         "log_level (file FILE, line 1): must be one of trace, debug, info, notice, warning, error, critical, got 'loud'"),
        ("limits:\n  max_series_per_tenant: 0\n", [:], [:], "limits.max_series_per_tenant (file FILE, line 2): must be at least 1, got '0'"),
        ("protocol:\n  max_line_bytes: 65536\n", [:], [:],
         "ingest.batch_bytes (built-in default): must be between 65604 (one record at protocol.max_line_bytes) and 16777216 (protocol.max_line_bytes is '65536' from file FILE, line 2)"),
        ("", [:], ["postgres": " "], "postgres (flag --postgres): the connection string is empty"),
        ("debug_print_rollups: maybe\n", [:], [:], "debug_print_rollups (file FILE, line 1): expected true or false, got 'maybe'"),
        ("unix:\n", [:], [:], "unix (file FILE, line 1): has no value (remove the line to keep the built-in default)"),
        ("udp: [a, b]\n", [:], [:], "udp (file FILE, line 1): expected a single value, found a list"),
    ] as [(String, [String: String], [String: String?], String)])
    func badValueNamesKeyAndSource(file text: String, environment: [String: String], flags: [String: String?], expected: String) throws {
        let file = try TemporaryConfigFile(text)
        defer { file.remove() }
        let error = try #require(configurationError { _ = try load(file: file.path, environment: environment, flags: flags) })
        #expect(error.description == expected.replacingOccurrences(of: "FILE", with: file.path))
        #expect(error.exitCode == (flags.isEmpty ? 78 : 64))
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let error = try #require(configurationError {
            _ = try load(environment: ["METERD_TCP": "x", "METERD_DEDUP_MAX_ENTRIES": "lots"], flags: ["udp": "y"])
        })
        #expect(error.problems.map(\.key) == ["udp", "tcp", "dedup.max_entries"])
        #expect(error.exitCode == 64)  // a flag is among them
    }

    @Test func fileProblemsNameThePath() throws {
        let missing = configurationError { _ = try load(file: "/nonexistent/meterd.yaml") }
        #expect(missing?.description == "config file /nonexistent/meterd.yaml: no such file")
        #expect(missing?.exitCode == 78)

        let malformed = try TemporaryConfigFile("limits: [1\n")
        defer { malformed.remove() }
        let syntax = try #require(configurationError { _ = try load(file: malformed.path) })
        #expect(syntax.description.hasPrefix("config file \(malformed.path): is not valid YAML"))

        let list = try TemporaryConfigFile("- udp\n")
        defer { list.remove() }
        #expect(configurationError { _ = try load(file: list.path) }?.description
            == "config file \(list.path): must be a mapping of keys to values (key: value), found a list")

        let duplicate = try TemporaryConfigFile("udp: 127.0.0.1:1\nudp: 127.0.0.1:2\n")
        defer { duplicate.remove() }
        #expect(configurationError { _ = try load(file: duplicate.path) }?.description.contains("'udp'") == true)
    }

    @Test func anEmptyFileMeansDefaults() throws {
        let file = try TemporaryConfigFile("# nothing but a comment\n")
        defer { file.remove() }
        #expect(try load(file: file.path) == DaemonSettings())
    }

    @Test func secretValuesAreNeverEchoed() throws {
        let file = try TemporaryConfigFile("redis:\n  url: redis://:hunter2@host\npostgres: [a, hunter2]\n")
        defer { file.remove() }
        let error = try #require(configurationError { _ = try load(file: file.path) })
        #expect(error.description == """
            redis.url (file \(file.path), line 2): unknown key
            postgres (file \(file.path), line 3): expected a single value, found a list
            """)
        #expect(!error.description.contains("hunter2"))
    }
}
