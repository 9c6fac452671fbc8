import Foundation

/// SplitMix64: a small generator whose whole output follows from the seed, so a failing crash
/// soak can be run again with the same kill delays and the same events (`METERD_SOAK_SEED`).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What the crash soak's client sent and what meterd acknowledged, shared by its connections.
///
/// Quantities are kept in eighths (every counter value the soak sends is a multiple of 0.125),
/// so the ledger's sums are exact integers.
final class SoakLedger: @unchecked Sendable {
    enum Metric: String, CaseIterable {
        case calls = "soak.calls"    // counter, 1 per event, with ids
        case tokens = "soak.tokens"  // counter, fractional values, with ids, two series
        case seats = "soak.seats"    // set, with ids
        case noID = "soak.noid"      // counter without ids: cannot be retried safely
    }

    struct Event {
        var tenant: String
        var metric: Metric
        var eighths: Int
        var member: String?
        var hasID: Bool
        var line: String
    }

    enum WindowKind: String { case fresh, retry, probe }

    struct Window {
        var kind: WindowKind
        var token: String
        var events: [Int]
    }

    /// Exact expectations for one (tenant, metric), and bounds for the id-less metric.
    struct Expectation: Equatable, CustomStringConvertible {
        var quantity: Decimal
        var events: Int
        var description: String { "\(quantity)/\(events)" }
    }

    static let tenants = (0..<4).map { "soak-\($0)" }
    static let tokenValues: [(text: String, eighths: Int)] = [("0.25", 2), ("1.5", 12), ("2.75", 22), ("0.125", 1), ("1", 8)]
    static let noIDEighths = 4                  // 0.5
    static let seatMembers = 40

    let seed: UInt64
    /// Every event's time (`|T`): one fixed second, so each (tenant, metric) has exactly one
    /// bucket per grain even when the run crosses an hour, and set uniques per bucket are exact.
    let eventTime: Int
    private let lock = NSLock()
    private var rng: SeededGenerator
    private var events: [Event] = []
    private var acknowledged: [Bool] = []
    private var pendingRetry: [Int] = []
    private var ackedIDs: [Int] = []
    private var noIDSent: [String: (eighths: Int, events: Int)] = [:]
    private var noIDAcked: [String: (eighths: Int, events: Int)] = [:]
    private var problemList: [String] = []
    private var counters: [String: Int] = [:]

    init(seed: UInt64, eventTime: Int) {
        self.seed = seed
        self.eventTime = eventTime
        rng = SeededGenerator(seed: seed ^ 0xE7E7)
    }

    private func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func problem(_ text: String) {
        withLock { problemList.append("seed \(seed): \(text)") }
    }

    func count(_ name: String, _ amount: Int = 1) {
        withLock { counters[name, default: 0] += amount }
    }

    func lines(_ window: Window) -> String {
        withLock { window.events.map { events[$0].line }.joined() } + "#sync \(window.token)\n"
    }

    /// `size` events never sent before: mostly with ids, a tenth on the id-less metric.
    func freshWindow(size: Int, token: String) -> Window {
        withLock {
            var indices: [Int] = []
            for _ in 0..<size {
                let tenant = Self.tenants[Int.random(in: 0..<Self.tenants.count, using: &rng)]
                let index = events.count
                let id = "id:e\(index)"
                let event: Event
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4:
                    event = Event(tenant: tenant, metric: .calls, eighths: 8, hasID: true,
                                  line: "soak.calls:1|c|#tenant:\(tenant),\(id)|T\(eventTime)\n")
                case 4..<7:
                    let value = Self.tokenValues.randomElement(using: &rng)!
                    let model = "m\(index % 2)"
                    event = Event(tenant: tenant, metric: .tokens, eighths: value.eighths, hasID: true,
                                  line: "soak.tokens:\(value.text)|c|#tenant:\(tenant),model:\(model),\(id)|T\(eventTime)\n")
                case 7..<9:
                    let member = "p-\(Int.random(in: 0..<Self.seatMembers, using: &rng))"
                    event = Event(tenant: tenant, metric: .seats, eighths: 0, member: member, hasID: true,
                                  line: "soak.seats:\(member)|s|#tenant:\(tenant),\(id)|T\(eventTime)\n")
                default:
                    event = Event(tenant: tenant, metric: .noID, eighths: Self.noIDEighths, hasID: false,
                                  line: "soak.noid:0.5|c|#tenant:\(tenant)|T\(eventTime)\n")
                    noIDSent[tenant, default: (0, 0)].eighths += Self.noIDEighths
                    noIDSent[tenant, default: (0, 0)].events += 1
                }
                events.append(event)
                acknowledged.append(false)
                indices.append(index)
            }
            return Window(kind: .fresh, token: token, events: indices)
        }
    }

    /// Up to `size` events that were sent and not acknowledged (in flight when meterd was
    /// killed), to be sent again with the same ids; nil when none wait.
    func retryWindow(size: Int, token: String) -> Window? {
        withLock {
            guard !pendingRetry.isEmpty else { return nil }
            let taken = Array(pendingRetry.suffix(size))
            pendingRetry.removeLast(taken.count)
            return Window(kind: .retry, token: token, events: taken)
        }
    }

    /// A random sample of acknowledged events, sent again: every one must be a duplicate.
    func probeWindow(size: Int, token: String) -> Window? {
        withLock {
            guard ackedIDs.count >= size else { return nil }
            let sample = (0..<size).map { _ in ackedIDs[Int.random(in: 0..<ackedIDs.count, using: &rng)] }
            return Window(kind: .probe, token: token, events: Array(Set(sample)))
        }
    }

    /// The answer to `window`'s barrier; checks its counts against the window and records the
    /// events as acknowledged.
    func acknowledge(_ window: Window, answer: String) {
        let fields = answer.split(separator: " ")
        var counts: [String: Int] = [:]
        for field in fields.dropFirst(2) {
            let pair = field.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Int(pair[1]) { counts[String(pair[0])] = value }
        }
        let accepted = counts["accepted"] ?? -1, duplicate = counts["duplicate"] ?? -1, refused = counts["refused"] ?? -1
        let size = window.events.count
        if fields.count < 2 || fields[0] != "#synced" || fields[1] != window.token {
            problem("\(window.kind) window \(window.token): unexpected answer '\(answer)'")
        }
        if accepted + duplicate + refused != size || refused != 0 || !answer.contains(" durable=yes") {
            problem("\(window.kind) window \(window.token) of \(size) lines: answer '\(answer)'")
        }
        switch window.kind {
        case .fresh where accepted != size:
            problem("fresh window \(window.token) of \(size) never-sent events: answer '\(answer)'")
        case .probe where duplicate != size:
            problem("probe window \(window.token) of \(size) acknowledged events: answer '\(answer)' (each must be a duplicate)")
        default: break
        }
        withLock {
            counters["windows acknowledged", default: 0] += 1
            counters["\(window.kind) events acknowledged", default: 0] += size
            counters["\(window.kind) duplicates", default: 0] += max(duplicate, 0)
            guard window.kind != .probe else { return }
            for index in window.events {
                let event = events[index]
                if event.hasID {
                    if acknowledged[index] { problemList.append("seed \(seed): event \(index) acknowledged twice") }
                    acknowledged[index] = true
                    ackedIDs.append(index)
                } else {
                    noIDAcked[event.tenant, default: (0, 0)].eighths += event.eighths
                    noIDAcked[event.tenant, default: (0, 0)].events += 1
                }
            }
        }
    }

    /// A window whose answer never came (meterd was killed): its id-carrying events are retried
    /// after the restart; its id-less events are not (a resend could count them twice).
    func lost(_ window: Window) {
        guard window.kind != .probe else { return }
        withLock {
            counters["\(window.kind) windows lost", default: 0] += 1
            pendingRetry += window.events.filter { events[$0].hasID }
        }
    }

    var pendingRetryCount: Int { withLock { pendingRetry.count } }
    var problems: [String] { withLock { problemList } }
    var statistics: [String: Int] { withLock { counters } }

    /// Per tenant and metric, what PostgreSQL must hold once every id-carrying event is
    /// acknowledged: the sum (sets: distinct members) and the number of events.
    func expectations() -> [String: Expectation] {
        withLock {
            var result: [String: Expectation] = [:]
            var members: [String: Set<String>] = [:]
            for (index, event) in events.enumerated() where event.hasID {
                if !acknowledged[index] { problemList.append("seed \(seed): event \(index) never acknowledged") }
                let key = "\(event.tenant) \(event.metric.rawValue)"
                result[key, default: Expectation(quantity: 0, events: 0)].events += 1
                if let member = event.member {
                    members[key, default: []].insert(member)
                } else {
                    result[key]!.quantity += Decimal(event.eighths) / 8
                }
            }
            for (key, set) in members { result[key]!.quantity = Decimal(set.count) }
            return result
        }
    }

    /// Per tenant, the id-less metric's acknowledged and sent totals.
    func noIDBounds() -> [String: (acked: Expectation, sent: Expectation)] {
        withLock {
            noIDSent.reduce(into: [:]) { result, entry in
                let acked = noIDAcked[entry.key] ?? (0, 0)
                result[entry.key] = (Expectation(quantity: Decimal(acked.eighths) / 8, events: acked.events),
                                     Expectation(quantity: Decimal(entry.value.eighths) / 8, events: entry.value.events))
            }
        }
    }
}
