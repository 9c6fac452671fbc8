import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Set once meterd was killed: connections stop trying to connect. Also notes when the first
/// connection got through (meterd's listeners are bound after its start-up replay).
final class SoakStopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var connected: Date?

    var firstConnection: Date? {
        lock.lock()
        defer { lock.unlock() }
        return connected
    }

    func noteConnection() {
        lock.lock()
        if connected == nil { connected = Date() }
        lock.unlock()
    }

    var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }
}

/// One TCP connection of the crash soak for one lifetime of meterd: it connects as soon as
/// meterd listens and sends bursts of `pipelineDepth` barrier windows (pipelined: all written
/// before the first answer is read), first the events to retry, then one probe of acknowledged
/// events, then fresh events until meterd dies. Every window whose answer did not come back
/// goes to the ledger for retry.
///
/// Fresh bursts are paced (one per `burstInterval`, about 3,000 events/s per connection): the
/// debug binary's flush of a quarter second of that (deltas and, above all, one `dedup_ids`
/// row per id) commits in well under a second, so most lifetimes see flushes commit before
/// the kill. Unpaced, each flush carried more than a kill interval could commit, nothing was
/// ever committed, and every start replayed the whole log (still exact, but it never tested
/// a kill after a commit).
struct SoakConnection {
    static let windowLines = 200
    static let pipelineDepth = 3
    static let burstInterval = 0.2
    static let probeLines = 100
    /// How long the last (never killed) lifetime waits for one answer.
    static let answerTimeout = 30.0

    var port: Int
    var name: String
    var ledger: SoakLedger
    var stopSignal: SoakStopSignal
    /// The last lifetime: retries and a probe only, then the connection closes.
    var final: Bool

    func run() {
        guard let fd = connectWhenListening() else { return }
        defer { close(fd) }
        var outstanding: [SoakLedger.Window] = []
        var received: [UInt8] = []
        var sequence = 0
        var probed = false
        var alive = true
        while alive {
            let burstStart = Date()
            var fresh = false
            while alive && outstanding.count < Self.pipelineDepth, let window = nextWindow(sequence: &sequence, probed: &probed) {
                fresh = fresh || window.kind == .fresh
                outstanding.append(window)
                alive = sendAll(fd, Array(ledger.lines(window).utf8))
            }
            if final && outstanding.isEmpty { return }
            while alive && !outstanding.isEmpty {
                alive = readAnswers(fd, buffer: &received, outstanding: &outstanding)
            }
            let pause = burstStart.addingTimeInterval(Self.burstInterval).timeIntervalSinceNow
            if alive && fresh && pause > 0 { usleep(UInt32(pause * 1_000_000)) }
        }
        if final && !stopSignal.isStopped {
            ledger.problem("\(name): connection lost in the last lifetime with \(outstanding.count) windows unanswered")
        }
        outstanding.forEach(ledger.lost)
    }

    private func nextWindow(sequence: inout Int, probed: inout Bool) -> SoakLedger.Window? {
        sequence += 1
        let token = "\(name)w\(sequence)"
        if let retry = ledger.retryWindow(size: Self.windowLines, token: token) { return retry }
        if !probed {
            probed = true
            if let probe = ledger.probeWindow(size: Self.probeLines, token: token) { return probe }
        }
        return final ? nil : ledger.freshWindow(size: Self.windowLines, token: token)
    }

    /// Connects once meterd listens (it binds after its start-up replay); nil if it was killed first.
    private func connectWhenListening() -> Int32? {
        while !stopSignal.isStopped {
            if let fd = try? TestSockets.connectTCP(port: port) {
                stopSignal.noteConnection()
                return fd
            }
            usleep(5_000)
        }
        return nil
    }

    /// false when the connection broke (meterd died). MSG_NOSIGNAL: EPIPE, not SIGPIPE.
    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Reads until at least one answer line arrived and matches each to the oldest window.
    /// false when the connection ended (or, in the last lifetime, no answer came in time).
    private func readAnswers(_ fd: Int32, buffer: inout [UInt8], outstanding: inout [SoakLedger.Window]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(Self.answerTimeout)
        while Date() < deadline {
            guard poll(&pollFD, 1, 50) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer += chunk[..<count]
            var answered = false
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                guard !outstanding.isEmpty else {
                    ledger.problem("\(name): answer '\(line)' with no barrier outstanding")
                    continue
                }
                ledger.acknowledge(outstanding.removeFirst(), answer: line)
                answered = true
            }
            if answered { return true }
        }
        ledger.problem("\(name): no answer within \(Self.answerTimeout) s with \(outstanding.count) barriers outstanding")
        return false
    }
}
