import CoreMetrics
import Logging
import MeterCore
import MeterPostgres
import Synchronization

/// The dispatcher's settings (config keys `alerts.*`, docs/alerts.md).
public struct AlertDispatcherConfiguration: Sendable {
    /// This instance's name, recorded as `fired_by`: after a restart an instance retries the
    /// pending deliveries it fired itself.
    public var instance: String
    public var schedule = RetrySchedule()
    /// Deliveries waiting per sink (`alerts.queue_size`).
    public var sinkQueueCapacity = 1000
    /// `record` calls waiting for PostgreSQL (`alerts.record_queue_size`).
    public var recordQueueCapacity = 10_000
    /// Migrations to apply on each connect (nil: the caller migrated the schema).
    public var schemaOptions: SchemaOptions? = SchemaOptions()
    /// Back-off between connection attempts while PostgreSQL is away.
    public var reconnectDelay = Duration.seconds(1)

    public init(instance: String) {
        self.instance = instance
    }
}

/// From "a level was crossed" to "recorded exactly once, delivered at least once".
///
/// `record` is what the quota evaluation calls on the ingest path: O(1), never blocks, never
/// touches PostgreSQL on the caller's thread. A dedicated thread owns the libpq connection and,
/// for each call, in one transaction inserts every alert into `meterd.alerts_fired` with
/// `ON CONFLICT DO NOTHING` plus one pending outbox row per sink for each alert that won; only
/// winners go to the sinks, highest level first. Every sink runs on its own thread and queue
/// (`SinkRunner`) and reports back here, where the outbox row is marked delivered or failed.
/// At start-up the thread first hands this instance's pending outbox rows (within the retry
/// horizon) to the sinks again.
public final class AlertDispatcher: Sendable {
    enum Command: Sendable {
        case record([ThresholdAlert])
        case finished(DeliveryReport)
    }

    public let configuration: AlertDispatcherConfiguration
    let runners: [SinkRunner]
    let commands: BlockingQueue<Command>
    let connect: @Sendable () throws -> PostgresConnection
    let logger: Logger
    let metrics = DispatcherMetrics()
    private let started = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    /// True once this instance's pending outbox rows were handed to the sinks.
    private let recoveredFlag = Atomic<Bool>(false)

    public init(configuration: AlertDispatcherConfiguration, connect: @escaping @Sendable () throws -> PostgresConnection,
                sinks: [any AlertSink], logger: Logger) {
        precondition(Set(sinks.map(\.name)).count == sinks.count, "sink names must be unique")
        self.configuration = configuration
        self.connect = connect
        self.logger = logger
        let metrics = metrics
        let commands = BlockingQueue<Command>(capacity: configuration.recordQueueCapacity) { metrics.queueDepth.record($0) }
        self.commands = commands
        runners = sinks.map { sink in
            SinkRunner(sink: sink, capacity: configuration.sinkQueueCapacity, schedule: configuration.schedule) { report in
                // A report that finds the queue full is lost: the row stays pending and is sent
                // again after a restart (at-least-once).
                if !commands.push(.finished(report)) { metrics.dropped("report_queue_full") }
            }
        }
    }

    /// The sinks' names, in the order they were given.
    public var sinkNames: [String] { runners.map(\.sink.name) }

    /// Hands crossed levels over for recording and delivery. Never blocks; false (counted,
    /// reason `record_queue_full`) when the queue of calls waiting for PostgreSQL is full.
    @discardableResult
    public func record(_ alerts: [ThresholdAlert]) -> Bool {
        guard !alerts.isEmpty else { return true }
        guard commands.push(.record(alerts)) else {
            metrics.dropped("record_queue_full")
            return false
        }
        return true
    }

    /// Starts the sinks' threads and the recording thread (idempotent).
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for runner in runners { runner.start() }
        startThread { [self] in
            var worker = RecordWorker(dispatcher: self)
            worker.run()
            finished.store(true, ordering: .releasing)
        }
    }

    public var hasRecovered: Bool { recoveredFlag.load(ordering: .acquiring) }
    func markRecovered() { recoveredFlag.store(true, ordering: .releasing) }

    /// Stops the sinks (each after its current attempt), then lets the recording thread write
    /// their last reports, waiting at most `limit` in all. Whatever is still queued stays
    /// pending in the outbox and is delivered after the next start.
    public func stop(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        for runner in runners { runner.stop() }
        while runners.contains(where: { !$0.isFinished }) && ContinuousClock.now < deadline {
            await uncancelledSleep(.milliseconds(10))
        }
        commands.close()
        while started.load(ordering: .acquiring) && !finished.load(ordering: .acquiring) && ContinuousClock.now < deadline {
            await uncancelledSleep(.milliseconds(10))
        }
    }

    func runner(named name: String) -> SinkRunner? { runners.first { $0.sink.name == name } }
}

/// The recording thread's state: its connection and the command it could not finish yet.
private struct RecordWorker {
    let dispatcher: AlertDispatcher
    var connection: PostgresConnection?
    var unfinished: AlertDispatcher.Command?
    var down = false

    mutating func run() {
        var recovered = false
        while true {
            if connection == nil {
                guard connect() else {
                    if dispatcher.commands.isClosing { return }
                    _ = dispatcher.commands.sleep(dispatcher.configuration.reconnectDelay)
                    continue
                }
            }
            if !recovered {
                guard attempt({ try $0.recover(on: $1) }) else { continue }
                recovered = true
                dispatcher.markRecovered()
            }
            guard let command = unfinished ?? dispatcher.commands.next() else { return }
            unfinished = command
            if attempt({ try $0.process(command, on: $1) }) { unfinished = nil }
        }
    }

    private mutating func connect() -> Bool {
        do {
            let connection = try dispatcher.connect()
            if let options = dispatcher.configuration.schemaOptions { try Migrations.apply(on: connection, options: options) }
            self.connection = connection
            if down { dispatcher.logger.info("alerts: PostgreSQL reachable again") }
            down = false
            return true
        } catch {
            dispatcher.metrics.recordError("connect")
            if !down {
                down = true
                dispatcher.logger.warning("alerts: PostgreSQL not reachable; alerts wait in the record queue",
                                          metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    /// Runs `body`; on a transient error drops the connection (the command is tried again on a
    /// new one), on any other error gives the command up (counted, logged).
    private mutating func attempt(_ body: (inout RecordWorker, PostgresConnection) throws -> Void) -> Bool {
        guard let connection else { return false }
        do {
            try body(&self, connection)
            return true
        } catch let error as PostgresError where error.isTransient {
            dispatcher.metrics.recordError("connection")
            self.connection = nil
            return false
        } catch {
            dispatcher.metrics.recordError("server")
            dispatcher.metrics.dropped("record_error")
            dispatcher.logger.error("alerts: PostgreSQL refused an alert record; given up", metadata: ["error": "\(error)"])
            unfinished = nil
            return true
        }
    }

    mutating func process(_ command: AlertDispatcher.Command, on connection: PostgresConnection) throws {
        switch command {
        case .record(let alerts):
            let ordered = ThresholdAlert.deliveryOrder(alerts)
            let winners = try AlertSQL.record(ordered.map(\.fired), instance: dispatcher.configuration.instance,
                                              sinks: dispatcher.sinkNames, on: connection)
            for alert in ordered {
                guard let firedAt = winners[alert.id] else {
                    dispatcher.metrics.alreadyFired.increment()
                    continue
                }
                dispatcher.metrics.fired.increment()
                let delivery = AlertDelivery(alert, firedAt: firedAt)
                for runner in dispatcher.runners { runner.submit(delivery) }
            }
        case .finished(let report):
            try AlertSQL.finish(id: report.id, sink: report.sink, state: report.state.rawValue, attempts: report.attempts,
                                error: report.reason, on: connection)
        }
    }

    mutating func recover(on connection: PostgresConnection) throws {
        let horizon = dispatcher.configuration.schedule.horizon.components.seconds
        let (pending, expired) = try AlertSQL.pending(instance: dispatcher.configuration.instance,
                                                      horizonSeconds: horizon, on: connection)
        for (sink, count) in expired {
            for _ in 0..<count { dispatcher.runner(named: sink)?.metrics.failed("expired") }
        }
        for row in pending {
            guard let runner = dispatcher.runner(named: row.sink), let level = AlertLevel(rawValue: row.level) else { continue }
            runner.submit(AlertDelivery(id: row.id, level: level, body: row.payload, firedAt: row.firedAt))
            dispatcher.metrics.recovered.increment()
        }
        if !pending.isEmpty || !expired.isEmpty {
            dispatcher.logger.info("alerts: pending deliveries from before the restart", metadata: [
                "alerts.resent": "\(pending.count)", "alerts.expired": "\(expired.values.reduce(0, +))",
            ])
        }
    }
}

extension ThresholdAlert {
    var fired: AlertSQL.Fired {
        AlertSQL.Fired(id: id, tenant: tenant, metric: metric, level: level.rawValue, periodStart: periodStart,
                       periodEnd: periodEnd, used: used.description, quota: quota.description,
                       crossedAtMilliseconds: crossedAtMilliseconds, payload: json)
    }
}
