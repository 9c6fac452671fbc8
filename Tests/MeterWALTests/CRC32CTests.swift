import Testing
@testable import MeterWAL

@Suite("CRC32C")
struct CRC32CTests {
    @Test("known vectors")
    func knownVectors() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
        #expect(check.withUnsafeBytes { CRC32C.software($0) } == 0xE306_9283)
        let zeros = [UInt8](repeating: 0, count: 32)
        #expect(zeros.withUnsafeBytes { CRC32C.software($0) } == 0x8A91_36AA)  // RFC 3720 B.4
        let ones = [UInt8](repeating: 0xFF, count: 32)
        #expect(ones.withUnsafeBytes { CRC32C.software($0) } == 0x62A8_AB43)
        #expect([UInt8]().withUnsafeBytes { CRC32C.checksum($0) } == 0)
    }

    @Test("hardware and software agree at every length and alignment; continuation equals one pass")
    func pathsAgree() {
        let bytes = payload(7, count: 600)
        bytes.withUnsafeBytes { raw in
            for start in 0..<9 {
                for length in stride(from: 0, to: 590, by: 7) {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let software = CRC32C.software(slice)
                    if CRC32C.usesHardware { #expect(CRC32C.hardware(slice) == software) }
                    let split = length / 3
                    let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[..<split]))
                    #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[split...]), continuing: first) == software)
                }
            }
        }
    }
}
