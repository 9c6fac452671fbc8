// Test helper for MeterWALTests' crash test (not shipped): appends entries to a WAL from two
// threads, forever, and prints one line per entry once it is durable:
//
//     R <end LSN> <truncated bytes>        once, after recovery
//     D <start LSN> <entry index>          per durable entry (one write(2) per line)
//
// The test kills it with SIGKILL at an arbitrary moment and checks that every entry printed
// as durable replays intact. Usage: wal-crash-writer DIRECTORY FIRST-INDEX [FILE-SIZE-LIMIT]
//
// With FILE-SIZE-LIMIT, writes beyond that file offset fail (RLIMIT_FSIZE: EFBIG), a real I/O
// error in the middle of a segment: the writer then checks the WAL stopped (fail-stop), prints
//
//     F <durable LSN> <error>
//
// and exits with status 3.
#if canImport(Glibc)
import Glibc
#endif
import MeterWAL

let arguments = CommandLine.arguments
guard arguments.count == 3 || arguments.count == 4, let first = Int(arguments[2]) else {
    say("usage: wal-crash-writer DIRECTORY FIRST-INDEX [FILE-SIZE-LIMIT]")
    exit(2)
}
if arguments.count == 4, let limit = UInt(arguments[3]) {
    signal(SIGXFSZ, SIG_IGN)
    var bound = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
    guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &bound) == 0 else {
        say("E setrlimit failed")
        exit(1)
    }
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

// Throttled in the file-size mode, so that many small commits succeed before the first failure.
let writer = Writer(wal: wal, pause: arguments.count == 4 ? 200 : 0)
startThread(writer, startingAt: first + 1)
writer.appendForever(startingAt: first, step: 2)
