// Test helper for MeterWALTests' crash test (not shipped): appends entries to a WAL from two
// threads, forever, and prints one line per entry once it is durable:
//
//     R <end LSN> <truncated bytes>        once, after recovery
//     D <start LSN> <entry index>          per durable entry (one write(2) per line)
//
// The test kills it with SIGKILL at an arbitrary moment and checks that every entry printed
// as durable replays intact. Usage: wal-crash-writer DIRECTORY FIRST-INDEX
#if canImport(Glibc)
import Glibc
#endif
import MeterWAL

let arguments = CommandLine.arguments
guard arguments.count == 3, let first = Int(arguments[2]) else {
    say("usage: wal-crash-writer DIRECTORY FIRST-INDEX")
    exit(2)
}
let configuration = WALConfiguration(segmentBytes: 256 << 10, maxBytes: 512 << 20, commitInterval: .milliseconds(1),
                                     commitBytes: 64 << 10, maxEntryBytes: 4096)
let wal: WriteAheadLog
do {
    wal = try WriteAheadLog(directory: arguments[1], configuration: configuration)
} catch {
    say("E \(error)")
    exit(1)
}
say("R \(wal.recoveryReport.endLSN) \(wal.recoveryReport.truncation?.discardedBytes ?? 0)")

let writer = Writer(wal: wal)
startThread(writer, startingAt: first + 1)
writer.appendForever(startingAt: first, step: 2)
