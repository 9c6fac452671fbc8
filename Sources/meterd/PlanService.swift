import ArgumentParser
import Foundation
import Logging
import MeterConfig
import MeterPlans
import MeterPostgres
import Metrics
import ServiceLifecycle

/// The plan book (docs/plans.md): the catalog from `plans.file` and, with PostgreSQL, the
/// catalog and subscriptions there, polled every `plans.refresh_seconds` by a
/// `PlanBookRefresher` on its own thread. SIGHUP re-reads the file (`reloadFile`); a file
/// with an error keeps the running catalog.
final class PlanService: Service, Sendable {
    let book: PlanBook
    private let path: String
    private let refresher: PlanBookRefresher?
    private let logger: Logger

    private static let refreshed = Counter(label: "meterd_plan_book_refreshes_total", dimensions: [("result", "ok")])
    private static let refreshFailed = Counter(label: "meterd_plan_book_refreshes_total", dimensions: [("result", "failed")])
    private static let fileApplied = Counter(label: "meterd_plan_file_reloads_total", dimensions: [("result", "applied")])
    private static let fileFailed = Counter(label: "meterd_plan_file_reloads_total", dimensions: [("result", "failed")])
    private static let plans = Gauge(label: "meterd_plan_book_plans")
    private static let subscribedTenants = Gauge(label: "meterd_plan_book_subscribed_tenants")
    private static let lastRefresh = Gauge(label: "meterd_plan_book_last_refresh_timestamp_seconds")

    /// nil without `plans.file`. `catalog` is the file as checked at start-up.
    init?(settings: DaemonSettings, catalog: PlanCatalog?, logger: Logger) {
        guard let path = settings.plansFile, let catalog else { return nil }
        self.path = path
        self.logger = logger
        let book = PlanBook(PlanBookSnapshot(catalog: catalog))
        self.book = book
        Self.publish(book.snapshot)
        refresher = settings.postgresURL.map { url in
            PlanBookRefresher(connectionString: url, book: book, interval: settings.plansRefreshInterval, seed: catalog,
                              schemaOptions: settings.schema) { [logger] outcome in
                switch outcome {
                case .refreshed(let snapshot):
                    Self.refreshed.increment()
                    Self.publish(snapshot)
                    Self.lastRefresh.record(Date().timeIntervalSince1970)
                case .failed(let error):
                    Self.refreshFailed.increment()
                    logger.warning("plan book refresh failed; keeping the last good snapshot", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The plans file at `settings.plansFile`, checked; a bad file ends start-up with its
    /// problems on stderr and exit 78 (EX_CONFIG), like any configuration error.
    static func loadAtStartup(_ settings: DaemonSettings) throws -> PlanCatalog? {
        guard let path = settings.plansFile else { return nil }
        do {
            return try PlanFile.load(path: path)
        } catch {
            for problem in error.problems {
                FileHandle.standardError.write(Data("Error: \(problem.description.replacingOccurrences(of: "\n", with: "\n  "))\n".utf8))
            }
            throw ExitCode(ConfigurationError.configExitCode)
        }
    }

    func run() async throws {
        refresher?.start()
        try? await gracefulShutdown()
        await refresher?.stop()
    }

    /// SIGHUP: re-reads the file; the new catalog replaces the running one (with PostgreSQL:
    /// is written there, then read back by the next refresh, which starts at once).
    func reloadFile() {
        let catalog: PlanCatalog
        do {
            catalog = try PlanFile.load(path: path)
        } catch {
            Self.fileFailed.increment()
            logger.error("plans file reload failed; the running catalog is unchanged", metadata: ["problems": "\(error.problems.map(\.description))"])
            return
        }
        Self.fileApplied.increment()
        logger.info("plans file reloaded", metadata: ["plans": "\(catalog.ids)"])
        if let refresher {
            refresher.seed(catalog)
        } else {
            book.replaceCatalog(with: catalog)
            Self.publish(book.snapshot)
        }
    }

    private static func publish(_ snapshot: PlanBookSnapshot) {
        plans.record(snapshot.catalog.plans.count)
        subscribedTenants.record(snapshot.subscribedTenantCount(at: Int64(Date().timeIntervalSince1970)))
    }
}
