import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL cluster that one test owns: its own state directory and port, started
/// and stopped with `scripts/services.sh` (which runs initdb and pg_ctl as the `postgres` user
/// when the tests run as root). The shared server of `METERD_TEST_POSTGRES_URL` is never touched.
final class PrivatePostgres {
    let directory: URL
    let port: Int

    /// `postgresql://meterd@127.0.0.1:PORT/meterd` (services.sh creates the role and database).
    var url: String { "postgresql://meterd@127.0.0.1:\(port)/meterd" }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// PostgreSQL server binaries are installed (or `METERD_PG_BINDIR` names them).
    static var binariesAvailable: Bool {
        if let dir = ProcessInfo.processInfo.environment["METERD_PG_BINDIR"] {
            return FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl")
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/pg_ctl") }
    }

    /// Run the outage tests when the binaries exist, and always under CI, where missing
    /// binaries must fail the run instead of skipping it.
    static var shouldRun: Bool { binariesAvailable || ProcessInfo.processInfo.environment["CI"] == "true" }

    init() throws {
        port = try TestSockets.freePort()
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("meterd-pg-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts the server (initdb on first use) and waits until it accepts connections.
    func start() throws { try services("start") }

    /// `pg_ctl stop -m fast`: open connections are cut, as in a server restart.
    func stop() throws { try services("stop") }

    /// Stops the server if it runs and deletes its files; call in a `defer`.
    func remove() {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `scripts/services.sh COMMAND postgres` and waits for it. Not with Foundation's
    /// `Process`: on Linux it notices a child's exit through a descriptor the child inherits,
    /// and the PostgreSQL server that pg_ctl leaves running would inherit it too (the wait
    /// would never end). Here the script runs with every descriptor above 2 closed, and
    /// `waitpid` waits for it.
    private func services(_ command: String) throws {
        let log = directory.appendingPathComponent("services-\(command).log").path
        let script = Self.repository.appendingPathComponent("scripts/services.sh").path
        let closeAndRun = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null; fi; done; exec "$0" "$@""#
        var environment = ProcessInfo.processInfo.environment
        environment["METERD_SERVICES_DIR"] = directory.path
        environment["METERD_POSTGRES_PORT"] = String(port)
        let status = try Self.spawnAndWait(["/bin/bash", "-c", closeAndRun, script, command, "postgres"],
                                           environment: environment.map { "\($0.key)=\($0.value)" }, output: log)
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestSockets.Failure(description: "services.sh \(command) postgres failed (\(status)): \(output)")
        }
    }

    /// posix_spawn + waitpid; stdin from /dev/null, stdout and stderr to `output`. Returns the
    /// exit code (128 + signal when killed).
    static func spawnAndWait(_ arguments: [String], environment: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestSockets.Failure(description: "posix_spawn \(arguments[0]): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw TestSockets.Failure(description: "waitpid: \(errno)") }
        }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
