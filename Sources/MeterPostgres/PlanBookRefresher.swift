import Foundation
import MeterPlans

/// Keeps a `PlanBook` current from PostgreSQL by polling, on a thread of its own (libpq
/// blocks): every `interval` it reads the catalog and the subscriptions in force
/// (`PlanStore.load`) and swaps the snapshot in. A new catalog from the plans file (start-up,
/// SIGHUP) is written first (`PlanStore.seed`) and wakes the thread at once. Each new
/// connection applies the schema migrations first (idempotent), so migration 6 is in place.
///
/// Worst-case staleness: a committed change is in the book at most `interval` plus one round
/// trip later. While PostgreSQL is unreachable the book keeps its last good snapshot; each
/// failed round is reported and retried on the next tick (a pending seed too).
public final class PlanBookRefresher: @unchecked Sendable {
    /// One round's result, for metrics and logs.
    public enum Outcome: Sendable {
        case refreshed(PlanBookSnapshot)
        case failed(any Error)
    }

    private let connectionString: String
    private let connectionOverrides: [(key: String, value: String)]
    private let book: PlanBook
    private let interval: Duration
    private let schemaOptions: SchemaOptions
    private let report: @Sendable (Outcome) -> Void
    /// Guards `pendingCatalog`, `stopping`, `wake`; signalled to end a wait early.
    private let condition = NSCondition()
    private var pendingCatalog: PlanCatalog?
    private var stopping = false
    private var wake = false
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// libpq's connect timeout, so a round never blocks longer on an unreachable server.
    public static let connectTimeoutSeconds = 5

    public init(connectionString: String, book: PlanBook, interval: Duration, seed: PlanCatalog?,
                schemaOptions: SchemaOptions = SchemaOptions(), connectionOverrides: [(key: String, value: String)] = [],
                report: @escaping @Sendable (Outcome) -> Void) {
        self.connectionString = connectionString
        self.connectionOverrides = connectionOverrides
        self.schemaOptions = schemaOptions
        self.book = book
        self.interval = interval
        self.pendingCatalog = seed
        self.report = report
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "meterd-plans"
        self.thread = thread
        thread.start()
    }

    /// Writes `catalog` on the next round, which starts now.
    public func seed(_ catalog: PlanCatalog) {
        condition.lock()
        pendingCatalog = catalog
        wake = true
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread after its current round and waits for it.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        if thread != nil { finished.wait() }
    }

    /// `stop()` off the caller's thread: for async callers, which must not block the pool.
    public func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                stop()
                done.resume()
            }.start()
        }
    }

    private func run() {
        var connection: PostgresConnection?
        while true {
            condition.lock()
            let catalog = pendingCatalog
            let stop = stopping
            condition.unlock()
            if stop { break }
            do {
                if connection?.isConnected != true {
                    connection = nil
                    connection = try PostgresConnection(connectionString: connectionString,
                                                        defaults: [("connect_timeout", String(Self.connectTimeoutSeconds))],
                                                        overrides: connectionOverrides)
                    // Idempotent; the tables must exist before the first seed, whichever
                    // of meterd's connections reaches the database first.
                    try Migrations.apply(on: connection!, options: schemaOptions)
                }
                let store = PlanStore(connection: connection!)
                if let catalog {
                    try store.seed(catalog)
                    condition.lock()
                    if pendingCatalog == catalog { pendingCatalog = nil }
                    condition.unlock()
                }
                let snapshot = try store.load()
                book.replace(with: snapshot)
                report(.refreshed(snapshot))
            } catch {
                if connection?.isConnected != true { connection = nil }
                report(.failed(error))
            }
            condition.lock()
            let deadline = Date(timeIntervalSinceNow: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
            while !stopping && !wake {
                if !condition.wait(until: deadline) { break }
            }
            wake = false
            condition.unlock()
        }
        connection?.close()
        finished.signal()
    }
}
