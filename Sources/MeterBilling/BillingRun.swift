import MeterCore
public import MeterPlans
public import MeterPostgres

/// A billing run (docs/billing.md "Billing runs"): invoices every tenant's billing periods that
/// ended at least `graceSeconds` before `at` and have no invoice yet. Idempotent: a period with
/// a finalized, paid or void invoice is never billed again, so a second run creates nothing.
public struct BillingRun {
    public struct Options: Sendable {
        /// The run's "now" (Unix seconds): periods ended by `at - graceSeconds` are due.
        public var at: Int64
        public var graceSeconds = BillingLimits.defaultGraceSeconds
        /// Leave the invoices as drafts (only each tenant's next period is computed).
        public var draftOnly = false
        /// Only these tenants; nil: all with a subscription.
        public var tenants: [String]?
        public var batchTenants = BillingLimits.defaultBatchTenants
        /// The last days of the previous period's window read again for late usage (0: none).
        public var lateUsageDays = BillingLimits.defaultLateUsageDays
        public var paymentTermsDays = BillingLimits.defaultPaymentTermsDays

        public init(at: Int64) { self.at = at }
    }

    /// One invoice the run wrote.
    public struct Outcome: Sendable, Hashable {
        public var id: Int64
        public var tenant: String
        public var number: String?
        public var periodStart: Int64
        public var periodEnd: Int64
        public var total: Money
    }

    public struct Report: Sendable {
        public var invoices: [Outcome] = []
        /// Tenants that could not be billed, with the reason (the others are billed regardless).
        public var failures: [String: String] = [:]
        /// Tenants with a subscription but no period due.
        public var tenantsUpToDate = 0
        /// Where the time went: reading (subscriptions, accounts, usage, earlier invoices),
        /// computing the invoices, writing and finalizing them.
        public var readDuration = Duration.zero
        public var computeDuration = Duration.zero
        public var writeDuration = Duration.zero
    }

    public enum RunError: Error, CustomStringConvertible {
        case inProgress

        public var description: String { "another billing run holds the billing lock; try again when it has finished" }
    }

    /// Serializes billing runs across processes: "meterd" + 10.
    static let lockKey: Int64 = 0x6D65_7465_7264 + 10

    /// Takes the billing lock and writes.
    public let connection: PostgresConnection
    /// Reads the next batch while `connection` writes the current one (two PostgreSQL backends
    /// at work instead of one); nil: everything on `connection`, one step after the other.
    public let readConnection: PostgresConnection?
    /// Reads the usage windows' hourly edges while `readConnection` reads their whole days.
    public let edgeConnection: PostgresConnection?

    public init(connection: PostgresConnection, readConnection: PostgresConnection? = nil, edgeConnection: PostgresConnection? = nil) {
        self.connection = connection
        self.readConnection = readConnection
        self.edgeConnection = edgeConnection
    }

    public func run(_ options: Options) throws -> Report {
        let locked = try connection.execute("SELECT pg_try_advisory_lock($1::bigint)", parameters: [String(Self.lockKey)])
        guard locked.rows.first?[0] == "t" else { throw RunError.inProgress }
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1::bigint)", parameters: [String(Self.lockKey)]) }

        // Many short statements over many rows: PostgreSQL's JIT would spend more compiling
        // them than running them (measured: 0.9 s for one usage read; docs/benchmarks.md).
        try connection.execute("SET jit = off")
        try readConnection?.execute("SET jit = off")
        try edgeConnection?.execute("SET jit = off")
        try connection.execute("SELECT \(RollupTable.schema).apply_due_transitions(to_timestamp($1::bigint))", parameters: [String(options.at)])
        let clock = ContinuousClock()
        let readStarted = clock.now
        let ledger = BillingLedger(connection: connection)
        let rows = try ledger.subscriptionRows(tenants: options.tenants)
        let tenants = rows.keys.sorted()
        var state = RunState(
            rows: rows, lastEnds: try ledger.lastInvoicedEnds(), catalog: try PlanStore(connection: connection).load().catalog,
            accounts: try ledger.accounts(tenants), taxRates: try ledger.taxRates(), redemptions: try ledger.redemptions(tenants))
        var report = Report()
        report.readDuration += clock.now - readStarted
        var billedAny: Set<String> = []
        for round in 0..<BillingLimits.maxPeriodsPerRun {
            if options.draftOnly && round > 0 { break }
            let due = tenants.compactMap { tenant -> (String, BillingPeriod)? in
                guard report.failures[tenant] == nil, let tenantRows = rows[tenant],
                      let period = BillingSchedule.nextPeriod(rows: tenantRows, after: state.lastEnds[tenant]),
                      period.end + options.graceSeconds <= options.at else { return nil }
                return (tenant, period)
            }
            if due.isEmpty { break }
            let size = max(1, options.batchTenants)
            let batches = stride(from: 0, to: due.count, by: size).map { Array(due[$0..<min(due.count, $0 + size)]) }
            // Batch i is written while batch i + 1 is read and computed.
            let reader = BillingLedger(connection: readConnection ?? connection)
            var prepared = try prepare(batches[0], options: options, ledger: reader, state: state, report: &report)
            for index in batches.indices {
                let current = prepared
                if readConnection != nil {
                    let writing = BackgroundWork { [box = ConnectionBox(connection: connection)] in
                        try Self.write(current, options: options, on: box.connection)
                    }
                    // The write is waited for even when the next read fails: its connection is in use until then.
                    let next = index + 1 < batches.count
                        ? Result { try prepare(batches[index + 1], options: options, ledger: reader, state: state, report: &report) } : nil
                    record(try writing.wait(), of: current, options: options, state: &state, report: &report)
                    if let next { prepared = try next.get() }
                } else {
                    record(try Self.write(current, options: options, on: connection), of: current, options: options, state: &state,
                           report: &report)
                    if index + 1 < batches.count {
                        prepared = try prepare(batches[index + 1], options: options, ledger: reader, state: state, report: &report)
                    }
                }
                billedAny.formUnion(batches[index].map(\.0))
            }
        }
        report.tenantsUpToDate = tenants.count { !billedAny.contains($0) && report.failures[$0] == nil }
        try markPastDue(at: options.at)
        return report
    }

    /// What the run knows of every tenant, kept current as batches are written.
    struct RunState {
        var rows: [String: [SubscriptionRow]]
        var lastEnds: [String: Int64]
        var catalog: PlanCatalog
        var accounts: [String: BillingLedger.Account]
        var taxRates: [String: TaxRate]
        var redemptions: [String: [BillingLedger.Redemption]]
    }

    /// A batch's invoices as computed, ready to write.
    struct PreparedBatch: Sendable {
        var drafts: [InvoiceDraft]
        var accounts: [String: BillingLedger.Account]
    }

    /// Reads what `batch` needs and computes its invoices; tenants that cannot be billed go to
    /// `report.failures`.
    func prepare(_ batch: [(String, BillingPeriod)], options: Options, ledger: BillingLedger, state: RunState,
                 report: inout Report) throws -> PreparedBatch {
        let clock = ContinuousClock()
        let readStarted = clock.now
        let lookback = Int64(options.lateUsageDays) * 86_400
        let billed = options.lateUsageDays > 0
            ? try ledger.billedUsage(batch.map { (tenant: $0.0, endsAfter: $0.1.start - lookback, before: $0.1.start) }) : [:]
        var windows: [UsageReader.Window] = []
        var windowIndex: [UsageReader.Window: Int] = [:]
        func index(of window: UsageReader.Window) -> Int {
            if let known = windowIndex[window] { return known }
            windows.append(window)
            windowIndex[window] = windows.count - 1
            return windows.count - 1
        }
        // Each window is read as its settled head and the tail the next run reads again; an
        // invoiced window's tail is read again for late usage.
        var current: [(head: Int, tail: Int, recheckFrom: Int64)?] = []
        for (tenant, period) in batch {
            current.append(BillableWindow.of(period: period, rows: state.rows[tenant] ?? []).map { window in
                let recheckFrom = options.lateUsageDays > 0
                    ? BilledUsage.recheckStart(windowFrom: window.from, windowTo: window.to, days: options.lateUsageDays) : window.to
                return (index(of: UsageReader.Window(tenant: tenant, from: window.from, to: recheckFrom)),
                        index(of: UsageReader.Window(tenant: tenant, from: recheckFrom, to: window.to)), recheckFrom)
            })
            for usage in billed[tenant] ?? [] { _ = index(of: UsageReader.Window(tenant: tenant, from: usage.recheckFrom, to: usage.windowTo)) }
        }
        let usage = try UsageReader(connection: ledger.connection, edgeConnection: edgeConnection).read(windows)
        let annualIDs = batch.flatMap { state.rows[$0.0] ?? [] }.filter { $0.subscription.cycle == .annual }.map(\.id)
        let charged = Dictionary(grouping: try ledger.chargedFees(subscriptionIDs: annualIDs), by: \.subscriptionID)

        let computeStarted = clock.now
        report.readDuration += computeStarted - readStarted
        var drafts: [InvoiceDraft] = []
        for (position, (tenant, period)) in batch.enumerated() {
            guard let account = state.accounts[tenant] else {
                report.failures[tenant] = "has no billing account (\(RollupTable.schema).billing_accounts)"
                continue
            }
            var taxRate: TaxRate?
            if let region = account.region {
                guard let rate = state.taxRates[region] else {
                    report.failures[tenant] = "tax region \(region) has no rate in \(RollupTable.schema).tax_rates"
                    continue
                }
                taxRate = rate
            }
            let tenantRows = state.rows[tenant] ?? []
            let discounts = (state.redemptions[tenant] ?? []).filter { redemption in
                period.end > redemption.redeemedAt && redemption.limit.map { redemption.used < $0 } ?? true
            }.map(\.discount)
            let lateChecks = (billed[tenant] ?? []).map { usageBilled in
                let tail = UsageReader.Window(tenant: tenant, from: usageBilled.recheckFrom, to: usageBilled.windowTo)
                let settled = MeteredUsage(metric: usageBilled.metric, used: usageBilled.settled, kind: usageBilled.kind, sources: [])
                let now = MeteredUsage.combined(settled, windowIndex[tail].flatMap { usage[$0][usageBilled.metric] }) ?? settled
                return LateUsageLines.Check(billed: usageBilled, current: now)
            }
            var whole: [String: MeteredUsage] = [:]
            var settled: [String: MeteredUsage] = [:]
            if let parts = current[position] {
                settled = usage[parts.head]
                for metric in Set(usage[parts.head].keys).union(usage[parts.tail].keys) {
                    whole[metric] = MeteredUsage.combined(usage[parts.head][metric], usage[parts.tail][metric])
                }
            }
            drafts.append(InvoiceCalculator.draft(InvoiceInput(
                tenant: tenant, currency: state.catalog.currency, period: period, rows: tenantRows, catalog: state.catalog,
                charged: tenantRows.flatMap { charged[$0.id] ?? [] }, usage: whole, settled: settled,
                recheckFrom: current[position]?.recheckFrom, lateChecks: lateChecks, discounts: discounts, taxRate: taxRate)))
        }
        report.computeDuration += clock.now - computeStarted
        return PreparedBatch(drafts: drafts, accounts: state.accounts)
    }

    /// What writing a batch gave: the ids and numbers of its invoices, and the time it took.
    struct Written: Sendable {
        var ids: [Int64]
        var numbers: [Int64: String]
        var duration: Duration
    }

    /// Replaces the drafts, inserts the invoices and (unless drafting) finalizes them, in one transaction.
    static func write(_ batch: PreparedBatch, options: Options, on connection: PostgresConnection) throws -> Written {
        let clock = ContinuousClock()
        let started = clock.now
        let writer = InvoiceWriter(connection: connection)
        let (ids, numbers) = try connection.transaction {
            try writer.insert(batch.drafts, accounts: batch.accounts,
                              as: options.draftOnly ? .draft : .finalized(at: options.at, paymentTermsDays: options.paymentTermsDays))
        }
        return Written(ids: ids, numbers: numbers, duration: clock.now - started)
    }

    /// Adds a written batch to the report, and moves each tenant on to its next period.
    func record(_ written: Written, of batch: PreparedBatch, options: Options, state: inout RunState, report: inout Report) {
        report.writeDuration += written.duration
        for (draft, id) in zip(batch.drafts, written.ids) {
            report.invoices.append(Outcome(id: id, tenant: draft.tenant, number: written.numbers[id], periodStart: draft.periodStart,
                                           periodEnd: draft.periodEnd, total: draft.total))
            if options.draftOnly { continue }
            state.lastEnds[draft.tenant] = draft.periodEnd
            for line in draft.lines where line.kind == .discount {
                if let index = state.redemptions[draft.tenant]?.firstIndex(where: { $0.discount.code == line.couponCode }) {
                    state.redemptions[draft.tenant]?[index].used += 1
                }
            }
        }
    }

    /// Accounts with a finalized invoice past its due date become past_due.
    func markPastDue(at: Int64) throws {
        try connection.execute("SELECT \(RollupTable.schema).mark_past_due(to_timestamp($1::bigint))", parameters: [String(at)])
    }
}
