/// `meterctl http-latency`: GET requests issued one after the other on one kept-alive
/// connection, cycling through the targets, for a duration; latencies per target.
public struct HTTPLatency {
    public struct Report: Sendable {
        public var target: String
        /// Seconds, sorted.
        public var latencies: [Double]
        /// Answers by status code.
        public var statuses: [Int: Int]

        public func quantile(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let rank = Int((Double(latencies.count) * q).rounded(.up)) - 1
            return latencies[max(0, min(latencies.count - 1, rank))]
        }
    }

    let client: HTTPGet
    let targets: [String]

    public init(client: HTTPGet, targets: [String]) {
        self.client = client
        self.targets = targets
    }

    /// Runs for `duration` seconds (or `count` requests per target, when given first).
    public func run(duration: Double, count: Int?) throws(SocketError) -> [Report] {
        var reports = targets.map { Report(target: $0, latencies: [], statuses: [:]) }
        let end = Clock.now() + duration
        var index = 0
        while Clock.now() < end {
            if let count, reports.allSatisfy({ $0.latencies.count >= count }) { break }
            let started = Clock.now()
            let (status, _) = try client.get(targets[index])
            reports[index].latencies.append(Clock.now() - started)
            reports[index].statuses[status, default: 0] += 1
            index = (index + 1) % targets.count
        }
        for index in reports.indices { reports[index].latencies.sort() }
        return reports
    }
}
