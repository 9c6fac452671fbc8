import Logging
import Synchronization

/// The daemon's log level, changeable while running (SIGHUP re-reads `log_level`). swift-log
/// copies a handler into every `Logger`, so the level cannot live in the handler itself: every
/// handler reads it from here.
final class LogLevelControl: Sendable {
    private let index: Atomic<Int>

    init(_ level: Logger.Level) {
        index = Atomic(Self.index(of: level))
    }

    var level: Logger.Level {
        get { Logger.Level.allCases[index.load(ordering: .relaxed)] }
        set { index.store(Self.index(of: newValue), ordering: .relaxed) }
    }

    private static func index(of level: Logger.Level) -> Int {
        Logger.Level.allCases.firstIndex(of: level)!
    }
}

/// A `StreamLogHandler` whose level is the shared `LogLevelControl`'s.
struct ControlledLogHandler: LogHandler {
    var inner: StreamLogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { control.level }
        set {}  // one level for the whole daemon: change it through `control`
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}
