#if canImport(Glibc)
import Glibc
#endif

/// Reads small `/proc` files whole (their size is unknown until read, so no `stat`).
enum ProcFile {
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0 ..< count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
