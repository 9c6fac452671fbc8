import MeterCore
import MeterIngest

/// What `POST /v1/events` needs from the daemon (docs/http-api.md).
public struct HTTPEventsEndpoint: Sendable {
    public static let path = "/v1/events"

    public let engine: MeterEngine
    public let stats: IngestStats
    public let limits: HTTPEventLimits

    public init(engine: MeterEngine, stats: IngestStats, limits: HTTPEventLimits) {
        self.engine = engine
        self.stats = stats
        self.limits = limits
    }
}
