#if canImport(Glibc)
import Glibc
#endif
import MeterCore

/// The seed of the engine's hasher. Set members are stored in PostgreSQL as fingerprints made
/// with it, so it must survive restarts or a member seen before a restart would be counted
/// again; it stays secret to the host (a random value, created once) so senders cannot aim
/// hash collisions at the series tables. Kept in `<data-dir>/hash-seed`; without a data
/// directory the seed is random per process.
enum HashSeed {
    static let fileName = "hash-seed"

    static func hasher(dataDirectory: String?) throws -> ByteHasher {
        guard let dataDirectory else { return .random() }
        let path = dataDirectory + "/" + fileName
        if let text = try? readFile(path), let seed = UInt64(text.filter { !$0.isWhitespace }, radix: 16) {
            return ByteHasher(seed: seed)
        }
        var generator = SystemRandomNumberGenerator()
        let seed: UInt64 = generator.next()
        mkdir(dataDirectory, 0o700)
        try writeFile(path, String(seed, radix: 16) + "\n")
        return ByteHasher(seed: seed)
    }

    struct FileError: Error, CustomStringConvertible {
        let description: String
    }

    private static func readFile(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw FileError(description: "cannot open \(path)") }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { throw FileError(description: "cannot read \(path)") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func writeFile(_ path: String, _ text: String) throws {
        guard let file = fopen(path, "w") else {
            throw FileError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        guard fputs(text, file) >= 0, fflush(file) == 0, fsync(fileno(file)) == 0 else {
            throw FileError(description: "cannot write \(path)")
        }
    }
}
