import MeterCore
import NIOCore
import Synchronization

/// The open stream connections of one listener, so shutdown can close them and then wait
/// until every line they delivered is in the ring.
///
/// A connection counts as unfinished from `opened` until its handler has pushed its last
/// record (`finished`), which may be after the socket closed when the ring was full.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var unfinished = 0
        var shuttingDown = false
    }
    private let state = Mutex(State())

    /// Returns false when the listener is shutting down (the caller closes the channel).
    func opened(_ channel: any Channel) -> Bool {
        state.withLock { state in
            state.unfinished += 1
            if state.shuttingDown { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func finished() {
        state.withLock { $0.unfinished -= 1 }
    }

    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Closes every open connection; later connections are closed as they open.
    func closeAll() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    var unfinished: Int { state.withLock { $0.unfinished } }

    /// Waits (polling every 5 ms) until every connection has pushed its last record.
    func waitUntilFinished() async {
        while unfinished > 0 {
            await uncancelledSleep(.milliseconds(5))
        }
    }
}
