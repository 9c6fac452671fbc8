#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `<data_dir>/wal/checkpoint`: the per-shard positions of the last commit, written after
/// each commit (temporary file, fsync, rename, fsync of the directory), so it is always a
/// whole checkpoint and can only lag the database's. Start-up reads it to know, without the
/// database, whether anything is left to replay. Text, one `shard position` pair per line.
public struct WALCheckpointFile: Sendable {
    public static let fileName = "checkpoint"
    public let directory: String
    public var path: String { directory + "/" + Self.fileName }

    public init(directory: String) {
        self.directory = directory
    }

    /// The stored positions; nil when there is no file (or it cannot be parsed).
    public func read() -> WALCut? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            text.append(contentsOf: buffer[0..<count])
        }
        var cut = WALCut()
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let shard = Int(fields[0]), let position = Int64(fields[1]) else { return nil }
            cut.advance(shard: shard, to: position)
        }
        return cut
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Replaces the file atomically with `cut`.
    public func write(_ cut: WALCut) throws {
        let text = cut.positions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "cannot create \(temporary): errno \(errno)") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { writeAll(fd, $0) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw WriteError(description: "cannot write \(temporary): errno \(errno)") }
        guard rename(temporary, path) == 0 else { throw WriteError(description: "cannot rename \(temporary): errno \(errno)") }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }
}

private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    var done = 0
    while done < bytes.count {
        let result = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if result < 0 {
            if errno == EINTR { continue }
            return -1
        }
        done += result
    }
    return done
}
