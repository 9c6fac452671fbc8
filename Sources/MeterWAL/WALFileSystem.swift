#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system calls the WAL makes, each turning a failure into `WALError.io` with the file's
/// path. No buffering of its own: every write goes straight to the kernel.
enum WALFileSystem {
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Creates `path` and its missing parents (mode 0750).
    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
                throw WALError.io(operation: "mkdir", path: prefix, errno: errno)
            }
        }
    }

    static func openDirectory(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WALError.io(operation: "open directory", path: path, errno: errno) }
        return fd
    }

    /// Names of the entries of `path` (without "." and "..").
    static func list(_ path: String) throws -> [String] {
        guard let stream = opendir(path) else { throw WALError.io(operation: "opendir", path: path, errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole file, read into `buffer` (grown as needed); returns the byte count.
    static func readWhole(_ path: String, into buffer: inout [UInt8]) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WALError.io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw WALError.io(operation: "fstat", path: path, errno: errno) }
        let size = Int(info.st_size)
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < size {
                let count = pread(fd, raw.baseAddress! + done, size - done, off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw WALError.io(operation: "read", path: path, errno: errno)
                }
                if count == 0 { break }
                done += count
            }
        }
        return done
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, count: Int, at offset: Int64, path: String) throws {
        var done = 0
        while done < count {
            let written = pwrite(fd, bytes + done, count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                throw WALError.io(operation: "write", path: path, errno: errno)
            }
            done += written
        }
    }

    /// fdatasync: the file's data and the metadata needed to read it back are on disk.
    static func syncData(_ fd: Int32, path: String) throws {
        #if canImport(Darwin)
        let result = fsync(fd)
        #else
        let result = fdatasync(fd)
        #endif
        guard result == 0 else { throw WALError.io(operation: "fdatasync", path: path, errno: errno) }
    }

    /// fsync: for directories, makes created and removed names durable.
    static func syncAll(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw WALError.io(operation: "fsync", path: path, errno: errno) }
    }

    static func truncate(_ path: String, to length: Int) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WALError.io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw WALError.io(operation: "ftruncate", path: path, errno: errno) }
        try syncAll(fd, path: path)
    }

    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw WALError.io(operation: "unlink", path: path, errno: errno) }
    }

    /// Creates the segment file starting at `base`, writes and syncs its header, optionally
    /// preallocates `preallocateBytes`, and makes its name durable (directory fsync). Returns
    /// the open descriptor (write-only). The header is synced before any entry is written, so
    /// at recovery a last segment with a bad header and anything but zeros after it is
    /// corruption, not a torn creation.
    static func createSegment(directory: String, directoryFD: Int32, base: Int64, preallocateBytes: Int?) throws -> Int32 {
        let path = join(directory, WALFormat.segmentName(base: base))
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw WALError.io(operation: "create", path: path, errno: errno) }
        do {
            #if !canImport(Darwin)
            if let bytes = preallocateBytes {
                // Unsupported file systems (EOPNOTSUPP, EINVAL) simply go without; ENOSPC is real.
                let result = posix_fallocate(fd, 0, off_t(bytes))
                if result == ENOSPC { throw WALError.io(operation: "fallocate", path: path, errno: result) }
            }
            #endif
            var header = [UInt8](repeating: 0, count: WALFormat.segmentHeaderBytes)
            header.withUnsafeMutableBytes { WALFormat.writeSegmentHeader(base: base, to: $0.baseAddress!) }
            try header.withUnsafeBytes { try writeAll(fd, $0.baseAddress!, count: $0.count, at: 0, path: path) }
            try syncAll(fd, path: path)
            try syncAll(directoryFD, path: directory)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }
}
